#include "core/state_record.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace pam_totp {
namespace {

constexpr std::uint8_t kMagic[8] = {'P', 'T', 'O', 'T', 'P', 'S', '1', '\n'};
constexpr std::size_t kChecksumSize = 16;
constexpr std::size_t kBodySize = kSlotSize - kChecksumSize;

// Little-endian field writer/reader over a slot.
class Writer {
  public:
    explicit Writer(std::uint8_t* p) : p_(p) {}
    void bytes(const std::uint8_t* data, std::size_t n) {
        std::memcpy(p_, data, n);
        p_ += n;
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) *p_++ = static_cast<std::uint8_t>(v >> (8 * i));
    }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) *p_++ = static_cast<std::uint8_t>(v >> (8 * i));
    }

  private:
    std::uint8_t* p_;
};

class Reader {
  public:
    explicit Reader(const std::uint8_t* p) : p_(p) {}
    void bytes(std::uint8_t* data, std::size_t n) {
        std::memcpy(data, p_, n);
        p_ += n;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(*p_++) << (8 * i);
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(*p_++) << (8 * i);
        return v;
    }

  private:
    const std::uint8_t* p_;
};

void checksum(const std::uint8_t* body, std::uint8_t* out) {
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(body, kBodySize, digest);
    std::memcpy(out, digest, kChecksumSize);
}

}  // namespace

Slot encode_slot(const UserState& s, std::uint64_t sequence) {
    Slot slot{};
    Writer w(slot.data());
    w.bytes(kMagic, sizeof kMagic);
    w.u64(sequence);
    w.bytes(s.enrollment_id.data(), s.enrollment_id.size());
    w.u32(s.has_last ? 1 : 0);
    w.u64(s.last_accepted);
    w.u32(s.failures);
    w.u32(s.locks);
    w.u64(static_cast<std::uint64_t>(s.locked_until));
    w.u32(s.used_recovery);
    checksum(slot.data(), slot.data() + kBodySize);
    return slot;
}

std::optional<DecodedSlot> decode_slot(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kSlotSize) return std::nullopt;
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
    std::uint8_t expected[kChecksumSize];
    checksum(bytes.data(), expected);
    if (CRYPTO_memcmp(expected, bytes.data() + kBodySize, kChecksumSize) != 0) return std::nullopt;

    DecodedSlot out;
    Reader r(bytes.data() + sizeof kMagic);
    out.sequence = r.u64();
    r.bytes(out.state.enrollment_id.data(), out.state.enrollment_id.size());
    const std::uint32_t flags = r.u32();
    if (flags > 1) return std::nullopt;
    out.state.has_last = flags == 1;
    out.state.last_accepted = r.u64();
    out.state.failures = r.u32();
    out.state.locks = r.u32();
    out.state.locked_until = static_cast<std::int64_t>(r.u64());
    out.state.used_recovery = r.u32();
    return out;
}

CurrentState pick_current(std::span<const std::uint8_t> slot0,
                          std::span<const std::uint8_t> slot1) {
    const auto a = decode_slot(slot0);
    const auto b = decode_slot(slot1);
    if (a && (!b || a->sequence >= b->sequence)) return {a, 1};
    if (b) return {b, 0};
    return {std::nullopt, 0};
}

std::optional<std::array<std::uint8_t, 16>> parse_enrollment_id(const std::string& hex) {
    if (hex.size() != 32) return std::nullopt;
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 16; ++i) {
        int value = 0;
        for (int k = 0; k < 2; ++k) {
            const char c = hex[2 * i + static_cast<std::size_t>(k)];
            int nibble;
            if (c >= '0' && c <= '9')
                nibble = c - '0';
            else if (c >= 'a' && c <= 'f')
                nibble = c - 'a' + 10;
            else
                return std::nullopt;
            value = value * 16 + nibble;
        }
        out[i] = static_cast<std::uint8_t>(value);
    }
    return out;
}

}  // namespace pam_totp
