// Which enrolment a login trusts: every combination of pin, proposal, root's
// word, trust on first use, version 1 records and root's removal.
#include "core/pin_policy.h"

#include <catch2/catch.hpp>

using namespace pam_totp;

namespace {

PinDecision with_pin(Proposal proposal, bool root_vouches = false) {
    return decide_pin({.has_pin = true, .proposal = proposal, .root_vouches = root_vouches});
}

PinDecision without_pin(Proposal proposal, PinInputs in = {}) {
    in.has_pin = false;
    in.proposal = proposal;
    return decide_pin(in);
}

}  // namespace

TEST_CASE("with a pin, the file never decides whether the user is enrolled", "[pin_policy]") {
    for (Proposal p :
         {Proposal::missing, Proposal::unavailable, Proposal::retired, Proposal::same}) {
        INFO(proposal_name(p));
        CHECK(with_pin(p) == PinDecision::use_pin);
        CHECK(with_pin(p, true) == PinDecision::use_pin);
    }
    CHECK(with_pin(Proposal::valid) == PinDecision::offer_switch);
    CHECK(with_pin(Proposal::valid, true) == PinDecision::adopt_now);
}

TEST_CASE("without a pin: first use, tofu=off, root's word", "[pin_policy]") {
    CHECK(without_pin(Proposal::valid) == PinDecision::adopt_now);
    CHECK(without_pin(Proposal::valid, {.tofu = false}) == PinDecision::not_enrolled);
    CHECK(without_pin(Proposal::valid, {.root_vouches = true, .tofu = false}) ==
          PinDecision::adopt_now);
    CHECK(without_pin(Proposal::missing) == PinDecision::not_enrolled);
    CHECK(without_pin(Proposal::missing, {.tofu = false}) == PinDecision::not_enrolled);
    for (Proposal p : {Proposal::unavailable, Proposal::retired, Proposal::same}) {
        INFO(proposal_name(p));
        CHECK(without_pin(p) == PinDecision::refuse);
    }
}

TEST_CASE("after root's removal only root's word enrols again", "[pin_policy]") {
    CHECK(without_pin(Proposal::valid, {.tofu_closed = true}) == PinDecision::refuse);
    CHECK(without_pin(Proposal::valid, {.tofu_closed = true, .root_vouches = true}) ==
          PinDecision::adopt_now);
    CHECK(without_pin(Proposal::missing, {.tofu_closed = true}) == PinDecision::not_enrolled);
}

TEST_CASE("a version 1 record is pinned only by root and never ignores", "[pin_policy]") {
    // Its enrollment-id is plain text in a file the user controls.
    CHECK(without_pin(Proposal::valid, {.legacy = LegacyRecord::same_enrollment}) ==
          PinDecision::refuse);
    CHECK(without_pin(Proposal::valid, {.legacy = LegacyRecord::same_enrollment, .tofu = false}) ==
          PinDecision::refuse);
    CHECK(without_pin(Proposal::valid, {.legacy = LegacyRecord::other_enrollment}) ==
          PinDecision::refuse);
    CHECK(without_pin(Proposal::missing, {.legacy = LegacyRecord::other_enrollment}) ==
          PinDecision::refuse);
    CHECK(without_pin(Proposal::valid, {.legacy = LegacyRecord::other_enrollment,
                                        .root_vouches = true}) == PinDecision::adopt_now);
}
