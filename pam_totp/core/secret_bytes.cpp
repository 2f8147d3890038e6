#include "core/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace pam_totp {

SecretBytes::SecretBytes(std::size_t size)
    : data_(size ? new std::uint8_t[size]() : nullptr), size_(size), capacity_(size) {}

SecretBytes::SecretBytes(std::span<const std::uint8_t> bytes) : SecretBytes(bytes.size()) {
    if (!bytes.empty()) std::memcpy(data_.get(), bytes.data(), bytes.size());
}

SecretBytes SecretBytes::from_string(std::string_view text) {
    return SecretBytes(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

SecretBytes SecretBytes::with_capacity(std::size_t capacity) {
    SecretBytes out(capacity);
    out.size_ = 0;
    return out;
}

SecretBytes SecretBytes::take(std::string& text) {
    SecretBytes out = from_string(text);
    // capacity() bytes are ours to overwrite, the small-string buffer too.
    OPENSSL_cleanse(text.data(), text.capacity());
    text.clear();
    return out;
}

void SecretBytes::append(std::string_view text) {
    if (text.empty()) return;
    if (size_ + text.size() > capacity_) {
        const std::size_t capacity = std::max(size_ + text.size(), capacity_ * 2 + 64);
        std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[capacity]());
        if (size_) std::memcpy(bigger.get(), data_.get(), size_);
        if (data_) OPENSSL_cleanse(data_.get(), capacity_);
        data_ = std::move(bigger);
        capacity_ = capacity;
    }
    std::memcpy(data_.get() + size_, text.data(), text.size());
    size_ += text.size();
}

SecretBytes SecretBytes::random(std::size_t size) {
    SecretBytes out(size);
    if (size && RAND_bytes(out.data(), static_cast<int>(size)) != 1)
        throw std::runtime_error("the OpenSSL random generator failed");
    return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_), capacity_(other.capacity_) {
    other.size_ = other.capacity_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        data_ = std::move(other.data_);
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.size_ = other.capacity_ = 0;
    }
    return *this;
}

SecretBytes::~SecretBytes() {
    wipe();
}

void SecretBytes::truncate(std::size_t size) {
    if (size < size_) {
        OPENSSL_cleanse(data_.get() + size, size_ - size);
        size_ = size;
    }
}

void SecretBytes::wipe() {
    if (data_) OPENSSL_cleanse(data_.get(), capacity_);
    data_.reset();
    size_ = capacity_ = 0;
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pam_totp
