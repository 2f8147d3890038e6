// Shared by the fuzz targets and the seed generator: a fixed host key, so
// committed seed files are sealed to a key the target can open and the
// fuzzer can reach the decrypting half of the secret-file path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/host_key.h"

namespace pam_totp::fuzz {

// A test-only X25519 key. It seals nothing but fuzz seeds; never use it on a host.
inline constexpr std::string_view kTestHostKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEIFilloJGZIj1WHss0KWhwosFcRNShmyB7QMQL9iP2613\n"
    "-----END PRIVATE KEY-----\n";

// Parsed once per process: key parsing is not what is being fuzzed and would
// dominate the time per input.
inline const HostPrivateKey& test_host_key() {
    static const HostPrivateKey key = [] {
        auto parsed = HostPrivateKey::from_pem(kTestHostKeyPem);
        if (!parsed) std::abort();
        return std::move(parsed).value();
    }();
    return key;
}

// An invariant broke: crash loudly so libFuzzer saves the input.
[[noreturn]] inline void invariant_failed() {
    std::abort();
}
#define FUZZ_CHECK(cond)                                   \
    do {                                                   \
        if (!(cond)) ::pam_totp::fuzz::invariant_failed(); \
    } while (0)

// Consumes input from the front: small fixed-width parameters for the
// function under test, the remainder is the "typed" or parsed text.
class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t byte() {
        if (size_ == 0) return 0;
        --size_;
        return *data_++;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
        return v;
    }
    std::string_view rest() const { return {reinterpret_cast<const char*>(data_), size_}; }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
};

}  // namespace pam_totp::fuzz
