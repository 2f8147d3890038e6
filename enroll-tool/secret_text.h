// A growable text buffer for anything that reveals the OTP secret (the URI,
// the grouped base32 text, the drawn QR code, recovery codes): std::string
// would leave copies in freed heap memory each time it grows, this one wipes
// the old buffer on every reallocation and on destruction.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace totp_enroll {

class SecretText {
  public:
    SecretText() = default;
    explicit SecretText(std::size_t reserve);
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    SecretText(SecretText&& other) noexcept;
    SecretText& operator=(SecretText&& other) noexcept;
    ~SecretText();

    void append(std::string_view text);
    void append(char c) { append(std::string_view(&c, 1)); }
    std::string_view view() const { return {data_.get(), size_}; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void wipe();

  private:
    void reserve(std::size_t capacity);

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

// Copies `text` into a SecretText and wipes the std::string it came from
// (for the core functions that return secrets as std::string).
SecretText take_secret_string(std::string& text);

}  // namespace totp_enroll
