// What every per-user action needs: the options, whose enrolment it is,
// where the secret file and the host public key are.
#pragma once

#include <string>

#include "cli_options.h"
#include "secret_store.h"
#include "target_user.h"

namespace totp_enroll {

struct Context {
    Options options;
    TargetUser user;
    SecretStore store;
    std::string host_public_key_path;
};

}  // namespace totp_enroll
