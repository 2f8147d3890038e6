// Where the host key pair lives on disk and the checks on reading it.
#pragma once

#include <string>

#include "core/default_paths.h"
#include "core/host_key.h"
#include "core/result.h"

namespace pam_totp {

// Private key: a regular file owned by root, no access for group or others,
// not encrypted. A caller that is not root and is denied access gets
// "pam_totp called by uid N without root; cannot read the host key PATH".
Result<HostPrivateKey> load_host_private_key(const std::string& path);

// Public key: a regular file owned by root, not writable by group or others
// (whoever can replace it could read every secret sealed afterwards).
Result<HostPublicKey> load_host_public_key(const std::string& path);

// Generates a pair and writes <dir>/host.key (0600) and <dir>/host.pub (0644)
// atomically; refuses to replace existing files unless `replace`.
Result<HostPublicKey> write_new_host_key_pair(const std::string& dir, bool replace);

}  // namespace pam_totp
