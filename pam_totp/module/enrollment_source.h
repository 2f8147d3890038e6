// Before the prompt: what the module trusts for this user. It reads the
// user's root-only record (the pin) under a short lock and the user's secret
// file once, and decides with core/pin_policy.h which enrolment the code is
// judged against. The file's bytes are kept, so a switch later in the same
// login uses exactly what was read here, never a second read.
#pragma once

#include <optional>
#include <string>

#include "core/host_key.h"
#include "core/module_options.h"
#include "core/pin_policy.h"
#include "core/secret_file.h"
#include "core/state_record.h"
#include "module/pam_handle.h"
#include "module/secret_file_reader.h"

namespace pam_totp {

// A secret file that parsed and opened with the host key.
struct OpenedFile {
    std::string bytes;
    Sha256 hash{};
    ParsedSecretFile parsed;
    SecretPayload payload;
};

struct LoginPlan {
    PinDecision decision = PinDecision::refuse;
    std::optional<OpenedFile> pin;       // the pinned enrolment
    std::optional<OpenedFile> proposal;  // the user's file when valid and not the pin
    UserState snapshot;                  // the record as read before the prompt
    std::string path;                    // the user's secret file
    std::string note;                    // why the file was not used, for syslog
    int failure_code = PAM_AUTH_ERR;     // for refuse: PAM_AUTH_ERR or a config fault
    bool unsealed = false;               // the host key was tried on a file (decoy cost paid)

    // The enrolment the code is judged against.
    const OpenedFile* judged() const {
        if (decision == PinDecision::adopt_now) return proposal ? &*proposal : nullptr;
        return pin ? &*pin : nullptr;
    }
};

// A file about to become the pin (adopted, or staged for a switch) must be
// sealed to the host key as it is now, read under the record's lock: a
// login that waited at its prompt through a `totp-enroll --rekey` would
// otherwise pin bytes that only the previous key opens, and lock the user
// out once that key is gone.
Status check_sealed_to_current_key(const ModuleOptions& options, const OpenedFile& file);

LoginPlan plan_login(const PamHandle& pam, const ModuleOptions& options, const std::string& user,
                     const Account& account, std::int64_t now);

// Parses and opens a pinned or proposed file for `user`.
Result<OpenedFile> open_file_for(std::string bytes, const std::string& user,
                                 const HostPrivateKey& host);

}  // namespace pam_totp
