#include "core/record_admin.h"

#include "core/secret_file.h"

namespace pam_totp {
namespace {

PinnedFile describe(std::string_view bytes, const EnrollmentId& id) {
    return PinnedFile{.enrollment_id = id,
                      .hash = sha256_of(bytes),
                      .length = static_cast<std::uint32_t>(bytes.size())};
}

UserState bound_to(UserState state, std::uint32_t uid) {
    state.has_uid = true;
    state.uid = uid;
    return state;
}

}  // namespace

std::optional<PinnedFile> identify_file(std::string_view bytes) {
    auto parsed = parse_secret_file(bytes);
    if (!parsed) return std::nullopt;
    auto id = parse_enrollment_id(parsed->header.enrollment_id);
    if (!id) return std::nullopt;
    return describe(bytes, *id);
}

Result<PinnedFile> check_file_to_pin(std::string_view bytes, const std::string& user,
                                     const HostPrivateKey& host) {
    if (bytes.size() > kMaxPinSize) return Error{"larger than 4096 bytes"};
    auto parsed = parse_secret_file(bytes);
    if (!parsed) return parsed.error();
    if (parsed->header.user != user)
        return Error{"belongs to user \"" + parsed->header.user + "\", not \"" + user + "\""};
    auto id = parse_enrollment_id(parsed->header.enrollment_id);
    if (!id) return Error{"its enrollment-id is not 32 hex digits"};
    if (auto payload = open_secret_file(*parsed, host); !payload) return payload.error();
    return describe(bytes, *id);
}

Status check_record_uid(const UserState& state, std::uint32_t uid) {
    if (!state.has_uid || state.uid == uid) return {};
    return Error{"the record belongs to uid " + std::to_string(state.uid) + ", not " +
                 std::to_string(uid) +
                 " (a reused name?); totp-enroll --remove --user NAME resets it"};
}

Status pin_file(LockedStateFile& record, std::string_view bytes, const PinnedFile& file,
                std::uint32_t uid, std::int64_t now) {
    const UserState& state = record.state();
    if (state.pin.present && state.pin.hash == file.hash) {
        // Already the pin: at most the uid binding is new.
        if (state.has_uid && state.uid == uid) return {};
        return record.commit(bound_to(state, uid));
    }
    const std::uint8_t area = record.free_area();
    if (auto status = record.stage_pin(bytes); !status) return status;
    // The pinned enrolment in other bytes (say, re-sealed on its own by an
    // interrupted rekey): what the record knows of it stays, so used
    // recovery codes stay used and no code is accepted twice.
    if (state.pin.present && state.pin.enrollment_id == file.enrollment_id)
        return record.commit(bound_to(with_resealed_pin(record.state(), file, area), uid));
    return record.commit(bound_to(with_new_pin(record.state(), file, area, now), uid));
}

Status reseal_pin(LockedStateFile& record, std::string_view bytes, const PinnedFile& file) {
    const UserState& state = record.state();
    if (!state.pin.present || state.pin.enrollment_id != file.enrollment_id)
        return Error{"the re-sealed file is not the pinned enrolment"};
    if (state.pin.hash == file.hash) return {};
    const std::uint8_t area = record.free_area();
    if (auto status = record.stage_pin(bytes); !status) return status;
    return record.commit(with_resealed_pin(record.state(), file, area));
}

Status retire_enrollment(LockedStateFile& record, const std::optional<PinnedFile>& file,
                         std::uint32_t uid) {
    return record.commit(bound_to(without_enrollment(record.state(), file), uid));
}

Status unlock_record(LockedStateFile& record) {
    return record.commit(unlocked(record.state()));
}

}  // namespace pam_totp
