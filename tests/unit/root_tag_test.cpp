// Root's tag on version 2 secret files: made only with the host private key,
// bound to user, uid, enrolment, times and every byte of the file.
#include "core/root_tag.h"

#include <catch2/catch.hpp>

#include "core/secret_file.h"

using namespace pam_totp;

namespace {

struct Tagged {
    HostPrivateKey host = HostPrivateKey::generate();
    std::string text;
};

Tagged tagged_file(std::uint32_t uid = 1000, std::int64_t expires = 1795500000) {
    Tagged t;
    SecretHeader h;
    h.version = 2;
    h.user = "alice";
    h.created = 1795420000;
    h.key_id = t.host.public_key().key_id();
    h.enrollment_id = new_enrollment_id();
    SecretPayload payload;
    payload.key = SecretBytes::random(kDefaultKeySize);
    auto body = seal_secret_file(h, payload, t.host.public_key());
    REQUIRE(body.ok());
    auto text = add_root_tag(*body, t.host, uid, expires);
    INFO(text.error().message);
    REQUIRE(text.ok());
    t.text = *text;
    return t;
}

}  // namespace

TEST_CASE("a tagged file parses, opens and verifies for its uid only", "[root_tag]") {
    const Tagged t = tagged_file(1000);
    auto parsed = parse_secret_file(t.text);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->tag);
    CHECK(parsed->header.version == 2);
    CHECK(parsed->tag->uid == 1000);
    CHECK(parsed->tag->expires == 1795500000);
    CHECK(open_secret_file(*parsed, t.host).ok());
    CHECK(root_tag_is_valid(*parsed, t.host, 1000));
    CHECK_FALSE(root_tag_is_valid(*parsed, t.host, 1001));
    CHECK_FALSE(root_tag_is_valid(*parsed, HostPrivateKey::generate(), 1000));
}

TEST_CASE("changing any byte of a tagged file breaks the tag or the file", "[root_tag]") {
    const Tagged t = tagged_file();
    const std::size_t tag_start = t.text.rfind("tag ");
    for (std::size_t i = 0; i < t.text.size(); ++i) {
        if (t.text[i] == '\n') continue;
        std::string changed = t.text;
        changed[i] = changed[i] == '1' ? '2' : '1';
        auto parsed = parse_secret_file(changed);
        INFO("byte " << i << (i >= tag_start ? " (tag line)" : ""));
        if (!parsed) continue;  // refused outright
        CHECK_FALSE(root_tag_is_valid(*parsed, t.host, parsed->tag ? parsed->tag->uid : 1000));
    }
}

TEST_CASE("a version 1 file carries no tag and a tag line is refused there", "[root_tag]") {
    const Tagged t = tagged_file();
    std::string v1 = t.text;
    v1.replace(0, 10, "pam_totp 1");
    CHECK_FALSE(parse_secret_file(v1).ok());
    const std::string untagged = t.text.substr(0, t.text.rfind("tag "));
    CHECK_FALSE(parse_secret_file(untagged).ok());  // version 2 needs its tag
    for (const char* line : {"tag 1000 1795500000 zz", "tag 1000 -5 ", "tag x 1 00", "tag 1000"}) {
        INFO(line);
        CHECK_FALSE(parse_secret_file(untagged + line + "\n").ok());
    }
}

TEST_CASE("the tag key is not the sealing key and differs per host", "[root_tag]") {
    const HostPrivateKey a = HostPrivateKey::generate();
    const HostPrivateKey b = HostPrivateKey::generate();
    const TagInput in{.user = "alice", .uid = 1, .enrollment_id = "00", .created = 1, .expires = 2};
    auto ma = compute_root_tag(a, in);
    auto mb = compute_root_tag(b, in);
    REQUIRE(ma.ok());
    REQUIRE(mb.ok());
    CHECK(*ma != *mb);
    TagInput other = in;
    other.user = "alicf";
    CHECK(compute_root_tag(a, other).value() != *ma);
    other = in;
    other.expires = 3;
    CHECK(compute_root_tag(a, other).value() != *ma);
}
