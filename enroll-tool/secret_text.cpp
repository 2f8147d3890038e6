#include "secret_text.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace totp_enroll {

SecretText::SecretText(std::size_t reserve_bytes) {
    reserve(reserve_bytes);
}

SecretText::SecretText(SecretText&& other) noexcept
    : data_(std::move(other.data_)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretText& SecretText::operator=(SecretText&& other) noexcept {
    if (this != &other) {
        wipe();
        data_ = std::move(other.data_);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

SecretText::~SecretText() {
    wipe();
}

void SecretText::wipe() {
    if (data_) OPENSSL_cleanse(data_.get(), capacity_);
    data_.reset();
    size_ = capacity_ = 0;
}

void SecretText::reserve(std::size_t capacity) {
    if (capacity <= capacity_) return;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    // The old buffer is wiped before it is freed: this is the whole point.
    if (data_) OPENSSL_cleanse(data_.get(), capacity_);
    data_ = std::move(bigger);
    capacity_ = capacity;
}

void SecretText::append(std::string_view text) {
    if (text.empty()) return;
    if (size_ + text.size() > capacity_) reserve(std::max(size_ + text.size(), capacity_ * 2 + 64));
    std::memcpy(data_.get() + size_, text.data(), text.size());
    size_ += text.size();
}

SecretText take_secret_string(std::string& text) {
    SecretText out(text.size());
    out.append(text);
    // capacity() bytes are ours to overwrite (the small-string buffer too).
    OPENSSL_cleanse(text.data(), text.capacity());
    text.clear();
    return out;
}

}  // namespace totp_enroll
