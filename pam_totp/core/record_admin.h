// The record changes root makes with totp-enroll (--pin, --remove, --unlock,
// root's enrolment for a user), on an open LockedStateFile. The changes
// themselves are record_ops' pure functions, shared with the module; this
// file adds what only root's tools need: checking a file before it becomes a
// pin, and binding the record to the user's uid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/host_key.h"
#include "core/record_ops.h"
#include "core/result.h"
#include "core/state_store.h"

namespace pam_totp {

// A secret file as a pin sees it: enrollment-id, SHA-256 and size of its
// bytes. nullopt when the bytes do not parse as a secret file.
std::optional<PinnedFile> identify_file(std::string_view bytes);

// The checks the module makes before it trusts a file for `user`: it
// parses, names `user`, and opens with `host`.
Result<PinnedFile> check_file_to_pin(std::string_view bytes, const std::string& user,
                                     const HostPrivateKey& host);

// A record bound to another uid (a reused name) is refused: the module
// refuses it too, and only --remove rebinds it.
Status check_record_uid(const UserState& state, std::uint32_t uid);

// `bytes` (checked with check_file_to_pin) become the pin: staged in the
// free area, then the slot (with_new_pin; with_resealed_pin for the pinned
// enrolment in other bytes, which keeps its replay position and used
// recovery codes), bound to `uid`. Pinning the file that is already the pin
// changes nothing.
Status pin_file(LockedStateFile& record, std::string_view bytes, const PinnedFile& file,
                std::uint32_t uid, std::int64_t now);

// --rekey: `bytes` hold the pinned enrolment re-sealed (checked with
// check_file_to_pin against the new key); staged in the free area, then
// the slot (with_resealed_pin). Refused when `file` is another enrolment.
Status reseal_pin(LockedStateFile& record, std::string_view bytes, const PinnedFile& file);

// --remove: the pin and `file` are retired, trust on first use is closed,
// and the record is bound to `uid` (without_enrollment).
Status retire_enrollment(LockedStateFile& record, const std::optional<PinnedFile>& file,
                         std::uint32_t uid);

// --unlock: failures and the lock go, nothing else (unlocked).
Status unlock_record(LockedStateFile& record);

}  // namespace pam_totp
