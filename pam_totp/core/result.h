// The one way a function in this project says it failed: it returns a
// Result, a value or an Error. An Error is a sentence that reaches an
// administrator (syslog, stderr) plus the status the boundary hands back
// for it: a PAM return code in the module, an exit status in totp-enroll.
// Exceptions are kept for broken invariants and allocation failure, and are
// caught at those two boundaries (pam_entry.cpp, enroll-tool/main.cpp).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace pam_totp {

struct Error {
    std::string message;
    // In the core, which knows neither PAM nor exit statuses, 0 (the caller
    // that turns the error into a status decides) or, where a caller must
    // tell one cause from the others, the errno value of that cause.
    int code = 0;
};

// A failure passes up unchanged whatever the value type: `return r.error().message;`
// converts a failed Result<U> into a failed Result<T>.
template <class T = void>
class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : error_(std::move(error)) {}

    explicit operator bool() const { return value_.has_value(); }
    bool ok() const { return value_.has_value(); }
    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() & { return *value_; }
    const T& operator*() const& { return *value_; }
    T&& operator*() && { return std::move(*value_); }
    const Error& error() const { return error_; }

  private:
    std::optional<T> value_;
    Error error_;
};

// Result<void> (Status): success or an Error.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : failed_(true), error_(std::move(error)) {}

    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    const Error& error() const { return error_; }

  private:
    bool failed_ = false;
    Error error_;
};

using Status = Result<void>;

}  // namespace pam_totp
