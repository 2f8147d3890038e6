// A value or an error message, for functions whose failures must reach an
// administrator as a sentence (syslog, stderr) rather than as a bare code.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace pam_totp {

struct Error {
    std::string message;
};

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : error_(std::move(error.message)) {}

    explicit operator bool() const { return value_.has_value(); }
    bool ok() const { return value_.has_value(); }
    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() & { return *value_; }
    const std::string& error() const { return error_; }

  private:
    std::optional<T> value_;
    std::string error_;
};

// Result<void>: success or an error message.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : failed_(true), error_(std::move(error.message)) {}

    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    const std::string& error() const { return error_; }

  private:
    bool failed_ = false;
    std::string error_;
};

using Status = Result<void>;

}  // namespace pam_totp
