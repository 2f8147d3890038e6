// The work a login does for a user who cannot log in with a code (unknown,
// not enrolled, or whose secret file is refused), so that how long the
// answer takes does not tell an attacker which names are enrolled: the same
// key agreement and HMACs an enrolled user's login costs. The durable state
// write is the third part (write_decoy_state).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/host_key.h"
#include "core/result.h"
#include "core/secret_bytes.h"

namespace pam_totp {

// Unseals a fixed blob with the host key. It never opens (the tag cannot
// match), but only after the X25519, HKDF and AES-GCM work of a real one;
// the result says where it stopped, for the tests.
Result<SecretBytes> unseal_decoy(const HostPrivateKey& host);

// Checks `typed` against a fixed key over the same window as a real TOTP
// check (2 * window + 1 HMACs, constant time) and against 10 recovery-code
// hashes, as a real check does. The answer is thrown away: the caller
// refuses the login whatever it is.
void verify_decoy(std::int64_t now, int window, std::string_view typed);

}  // namespace pam_totp
