// What pam_totp_ldap.so's LDAP child process tells the module (the parent),
// over a pipe: frames of a small, length-prefixed format that the parent
// decodes with every length checked, because the child talks to servers
// the parent does not trust and runs with fewer privileges.
//
//   frame   = length(u32, little-endian, of the rest) kind(u8) code(i32 LE)
//             count(u8) field*count
//   field   = length(u32 LE) bytes
//
// kinds: doing (what the child is doing now: "ldaps://host/"), failed (a
// server that failed, before the next is tried), reply (the last frame).
// Header-only, without PAM or libldap, so the unit tests can include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace pam_totp {

enum class ChildMessageKind : std::uint8_t { doing = 1, failed = 2, reply = 3 };

struct ChildMessage {
    ChildMessageKind kind = ChildMessageKind::reply;
    std::int32_t code = 0;
    std::vector<std::string> fields;
};

// Bounds: one frame, its fields, and everything one child may send.
inline constexpr std::size_t kMaxChildFrame = 32 * 1024;
inline constexpr std::size_t kMaxChildFields = 8;
inline constexpr std::size_t kMaxChildBytes = 256 * 1024;

namespace child_messages_detail {

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::uint32_t get_u32(std::string_view in) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
    return v;
}

}  // namespace child_messages_detail

// The frame for `message`, or an error when it would exceed the bounds
// (the child then sends a short error reply instead).
inline Result<std::string> encode_child_message(const ChildMessage& message) {
    using namespace child_messages_detail;
    if (message.fields.size() > kMaxChildFields) return Error{"too many fields"};
    std::string payload;
    payload.push_back(static_cast<char>(message.kind));
    put_u32(payload, static_cast<std::uint32_t>(message.code));
    payload.push_back(static_cast<char>(message.fields.size()));
    for (const std::string& field : message.fields) {
        if (field.size() > kMaxChildFrame) return Error{"a field is too long"};
        put_u32(payload, static_cast<std::uint32_t>(field.size()));
        payload += field;
    }
    if (payload.size() > kMaxChildFrame) return Error{"the message is too long"};
    std::string frame;
    put_u32(frame, static_cast<std::uint32_t>(payload.size()));
    return frame + payload;
}

// The parent's side: bytes in as they arrive, whole messages out. Any
// malformed or oversized input is an error, after which the decoder takes
// nothing more (the parent then treats the child as failed).
class ChildMessageDecoder {
  public:
    Status feed(std::string_view bytes) {
        if (broken_) return Error{"the LDAP process sent malformed data"};
        if (bytes.size() > kMaxChildBytes - received_) {
            broken_ = true;
            return Error{"the LDAP process sent more than " + std::to_string(kMaxChildBytes) +
                         " bytes"};
        }
        received_ += bytes.size();
        buffer_ += bytes;
        return {};
    }

    // The next whole message, nullopt until one has arrived.
    Result<std::optional<ChildMessage>> next() {
        using namespace child_messages_detail;
        if (broken_) return Error{"the LDAP process sent malformed data"};
        const std::string_view in(buffer_);
        if (in.size() < 4) return std::optional<ChildMessage>();
        const std::uint32_t length = get_u32(in);
        if (length > kMaxChildFrame || length < 6) return fail("a frame of a wrong length");
        if (in.size() - 4 < length) return std::optional<ChildMessage>();
        std::string_view payload = in.substr(4, length);
        ChildMessage message;
        const auto kind = static_cast<unsigned char>(payload[0]);
        if (kind < 1 || kind > 3) return fail("a frame of an unknown kind");
        message.kind = static_cast<ChildMessageKind>(kind);
        message.code = static_cast<std::int32_t>(get_u32(payload.substr(1)));
        const std::size_t count = static_cast<unsigned char>(payload[5]);
        if (count > kMaxChildFields) return fail("too many fields");
        payload.remove_prefix(6);
        for (std::size_t i = 0; i < count; ++i) {
            if (payload.size() < 4) return fail("a truncated field");
            const std::uint32_t size = get_u32(payload);
            payload.remove_prefix(4);
            if (size > payload.size()) return fail("a field longer than its frame");
            message.fields.emplace_back(payload.substr(0, size));
            payload.remove_prefix(size);
        }
        if (!payload.empty()) return fail("bytes after the last field");
        buffer_.erase(0, 4 + std::size_t{length});
        return std::optional<ChildMessage>(std::move(message));
    }

    // Bytes received that do not (yet) make a whole frame.
    std::size_t pending() const { return buffer_.size(); }

  private:
    Error fail(const std::string& what) {
        broken_ = true;
        return Error{"the LDAP process sent " + what};
    }

    std::string buffer_;
    std::size_t received_ = 0;
    bool broken_ = false;
};

}  // namespace pam_totp
