#include "core/state_record.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

#include "core/hex.h"

namespace pam_totp {
namespace {

constexpr std::uint8_t kLegacyMagic[8] = {'P', 'T', 'O', 'T', 'P', 'S', '1', '\n'};
constexpr std::uint8_t kMagic[8] = {'P', 'T', 'O', 'T', 'P', 'S', '2', '\n'};
constexpr std::size_t kChecksumSize = 16;

// Little-endian field writer/reader over a slot.
class Writer {
  public:
    explicit Writer(std::uint8_t* p) : p_(p) {}
    template <std::size_t N>
    void bytes(const std::array<std::uint8_t, N>& data) {
        bytes(data.data(), N);
    }
    void bytes(const std::uint8_t* data, std::size_t n) {
        std::memcpy(p_, data, n);
        p_ += n;
    }
    void u8(std::uint8_t v) { *p_++ = v; }
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
    template <std::size_t N>
    void bytes(std::array<std::uint8_t, N>& data) {
        std::memcpy(data.data(), p_, N);
        p_ += N;
    }
    std::uint8_t u8() { return *p_++; }
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
    // A 0/1 flag; anything else marks the slot invalid.
    bool flag(bool& ok) {
        const std::uint8_t v = u8();
        if (v > 1) ok = false;
        return v == 1;
    }

  private:
    const std::uint8_t* p_;
};

void checksum(const std::uint8_t* body, std::size_t body_size, std::uint8_t* out) {
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(body, body_size, digest);
    std::memcpy(out, digest, kChecksumSize);
}

bool checksum_matches(std::span<const std::uint8_t> slot) {
    const std::size_t body = slot.size() - kChecksumSize;
    std::uint8_t expected[kChecksumSize];
    checksum(slot.data(), body, expected);
    return CRYPTO_memcmp(expected, slot.data() + body, kChecksumSize) == 0;
}

// The counters both versions share, in the same order.
void write_counters(Writer& w, const UserState& s) {
    w.bytes(s.enrollment_id);
    w.u32(s.has_last ? 1 : 0);
    w.u64(s.last_accepted);
    w.u32(s.failures);
    w.u32(s.locks);
    w.u64(static_cast<std::uint64_t>(s.locked_until));
    w.u32(s.used_recovery);
}

bool read_counters(Reader& r, UserState& s) {
    r.bytes(s.enrollment_id);
    const std::uint32_t flags = r.u32();
    if (flags > 1) return false;
    s.has_last = flags == 1;
    s.last_accepted = r.u64();
    s.failures = r.u32();
    s.locks = r.u32();
    s.locked_until = static_cast<std::int64_t>(r.u64());
    s.used_recovery = r.u32();
    return true;
}

// Version 1 (128 bytes): the counters only. Read so that an upgrade keeps
// replay positions and used recovery codes (pam_totp(5), "Migration").
std::optional<DecodedSlot> decode_legacy_slot(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kLegacySlotSize || !checksum_matches(bytes.first(kLegacySlotSize)))
        return std::nullopt;
    DecodedSlot out;
    Reader r(bytes.data() + sizeof kLegacyMagic);
    out.sequence = r.u64();
    if (!read_counters(r, out.state)) return std::nullopt;
    return out;
}

}  // namespace

Sha256 sha256_of(std::string_view bytes) {
    Sha256 out{};
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
    return out;
}

bool is_retired(const UserState& state, const EnrollmentId& id, const Sha256& hash) {
    bool found = false;
    for (std::size_t i = 0; i < state.retired_count && i < kRetiredCapacity; ++i) {
        const RetiredEnrollment& r = state.retired[i];
        found |= CRYPTO_memcmp(r.enrollment_id.data(), id.data(), id.size()) == 0;
        found |= CRYPTO_memcmp(r.hash.data(), hash.data(), hash.size()) == 0;
    }
    return found;
}

void retire(UserState& state, const EnrollmentId& id, const Sha256& hash) {
    for (std::size_t i = 0; i < state.retired_count && i < kRetiredCapacity; ++i)
        if (state.retired[i].enrollment_id == id && state.retired[i].hash == hash) return;
    if (state.retired_count >= kRetiredCapacity) {
        // Full: drop the oldest. Only root's removals and the user's own
        // switches (each proven with the current code) add entries.
        std::move(state.retired.begin() + 1, state.retired.end(), state.retired.begin());
        state.retired_count = kRetiredCapacity - 1;
    }
    state.retired[state.retired_count++] = RetiredEnrollment{id, hash};
}

Slot encode_slot(const UserState& s, std::uint64_t sequence) {
    Slot slot{};
    Writer w(slot.data());
    w.bytes(kMagic, sizeof kMagic);
    w.u64(sequence);
    write_counters(w, s);
    w.u8(s.has_uid ? 1 : 0);
    w.u32(s.uid);
    w.u8(s.pin.present ? 1 : 0);
    w.u8(s.pin.area);
    w.u64(s.pin.generation);
    w.bytes(s.pin.hash);
    w.u32(s.pin.length);
    w.bytes(s.pin.enrollment_id);
    w.u64(static_cast<std::uint64_t>(s.pin.pinned_at));
    w.u64(s.asked_generation);
    w.u64(static_cast<std::uint64_t>(s.asked_since));
    w.u32(s.asked_count);
    w.u8(s.tofu_closed ? 1 : 0);
    w.u8(s.pending.present ? 1 : 0);
    w.bytes(s.pending.ticket);
    w.bytes(s.pending.hash);
    w.u32(s.pending.length);
    w.u64(s.pending.step);
    w.u64(s.pending.generation);
    w.u64(static_cast<std::uint64_t>(s.pending.made_at));
    w.u32(s.retired_count);
    for (const RetiredEnrollment& r : s.retired) {
        w.bytes(r.enrollment_id);
        w.bytes(r.hash);
    }
    w.u8(s.has_password_fingerprint ? 1 : 0);
    w.bytes(s.password_fingerprint);
    w.u64(static_cast<std::uint64_t>(s.last_login));
    w.u32(s.failed_since_login);
    w.u64(static_cast<std::uint64_t>(s.last_failure_at));
    const std::size_t host = std::min(s.last_failure_host.size(), kMaxRecordedHost);
    w.u8(static_cast<std::uint8_t>(host));
    std::array<std::uint8_t, kMaxRecordedHost> host_bytes{};
    std::copy_n(s.last_failure_host.begin(), host, host_bytes.begin());
    w.bytes(host_bytes);
    checksum(slot.data(), kSlotSize - kChecksumSize, slot.data() + kSlotSize - kChecksumSize);
    return slot;
}

std::optional<DecodedSlot> decode_slot(std::span<const std::uint8_t> bytes) {
    if (bytes.size() >= kLegacySlotSize &&
        std::memcmp(bytes.data(), kLegacyMagic, sizeof kLegacyMagic) == 0)
        return decode_legacy_slot(bytes);
    if (bytes.size() < kSlotSize) return std::nullopt;
    bytes = bytes.first(kSlotSize);
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
    if (!checksum_matches(bytes)) return std::nullopt;

    DecodedSlot out;
    UserState& s = out.state;
    bool ok = true;
    Reader r(bytes.data() + sizeof kMagic);
    out.sequence = r.u64();
    ok &= read_counters(r, s);
    s.has_uid = r.flag(ok);
    s.uid = r.u32();
    s.pin.present = r.flag(ok);
    s.pin.area = r.u8();
    s.pin.generation = r.u64();
    r.bytes(s.pin.hash);
    s.pin.length = r.u32();
    r.bytes(s.pin.enrollment_id);
    s.pin.pinned_at = static_cast<std::int64_t>(r.u64());
    s.asked_generation = r.u64();
    s.asked_since = static_cast<std::int64_t>(r.u64());
    s.asked_count = r.u32();
    s.tofu_closed = r.flag(ok);
    s.pending.present = r.flag(ok);
    r.bytes(s.pending.ticket);
    r.bytes(s.pending.hash);
    s.pending.length = r.u32();
    s.pending.step = r.u64();
    s.pending.generation = r.u64();
    s.pending.made_at = static_cast<std::int64_t>(r.u64());
    s.retired_count = r.u32();
    for (RetiredEnrollment& retired : s.retired) {
        r.bytes(retired.enrollment_id);
        r.bytes(retired.hash);
    }
    s.has_password_fingerprint = r.flag(ok);
    r.bytes(s.password_fingerprint);
    s.last_login = static_cast<std::int64_t>(r.u64());
    s.failed_since_login = r.u32();
    s.last_failure_at = static_cast<std::int64_t>(r.u64());
    const std::size_t host = r.u8();
    std::array<std::uint8_t, kMaxRecordedHost> host_bytes{};
    r.bytes(host_bytes);
    ok &= host <= kMaxRecordedHost;
    if (ok) s.last_failure_host.assign(reinterpret_cast<const char*>(host_bytes.data()), host);
    ok &= s.pin.area <= 1 && s.pin.length <= kMaxPinSize && s.pending.length <= kMaxPinSize &&
          s.retired_count <= kRetiredCapacity;
    if (!ok) return std::nullopt;
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

std::optional<EnrollmentId> parse_enrollment_id(const std::string& hex) {
    EnrollmentId out{};
    if (!from_hex(hex, out)) return std::nullopt;
    return out;
}

}  // namespace pam_totp
