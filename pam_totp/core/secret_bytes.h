// A heap buffer for key material that is wiped with OPENSSL_cleanse when it
// dies and can be moved but never copied, so no stray copy outlives its use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace pam_totp {

class SecretBytes {
  public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t size);
    SecretBytes(std::span<const std::uint8_t> bytes);
    static SecretBytes from_string(std::string_view text);
    // Empty, with room for `capacity` bytes before append() must grow.
    static SecretBytes with_capacity(std::size_t capacity);
    // Copies `text` and wipes the std::string it came from (for secrets that
    // arrive as std::string from the standard library or the core).
    static SecretBytes take(std::string& text);
    // size bytes from the OpenSSL CSPRNG; throws std::runtime_error if it fails.
    static SecretBytes random(std::size_t size);

    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    std::uint8_t* data() { return data_.get(); }
    const std::uint8_t* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::span<const std::uint8_t> span() const { return {data_.get(), size_}; }
    std::span<std::uint8_t> span() { return {data_.get(), size_}; }
    std::string_view view() const { return {reinterpret_cast<const char*>(data_.get()), size_}; }
    // Shrinks the visible size (e.g. after a decoder wrote fewer bytes);
    // the wiped capacity is still released by the destructor.
    void truncate(std::size_t size);
    // Appends, growing as needed; the old storage is wiped before it is
    // freed, which is what std::string would not do.
    void append(std::string_view text);
    void append(char c) { append(std::string_view(&c, 1)); }
    // Wipes the contents now and leaves an empty buffer.
    void wipe();

  private:
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

// Constant-time equality of two byte ranges (false when lengths differ;
// lengths are not secret here).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace pam_totp
