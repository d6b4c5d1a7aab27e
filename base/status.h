// base/status.h — the one error vocabulary of notesd.
//
// Every fallible function returns Status or Result<T>. A Status carries a code from a
// small closed set and a message that names the thing that failed ("notes.ini line 7:
// missing '='"). Clients see the message; OpenSSL/LMDB detail goes to the log.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace notesd {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kPermissionDenied,
  kCorruption,
  kIOError,
  kUnavailable,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: notes.ini line 7: missing '='"
  std::string ToString() const;
  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  // A Result made from an OK Status holds no value, which is a bug: it reads as Internal.
  Result(Status status)  // NOLINT: implicit by design
      : status_(status.ok() ? Status::Internal("Result made from an OK status without a value") : std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  // Ok when the Result holds a value, else the error.
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace notesd

// Propagates a non-ok Status from an expression.
#define NOTESD_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::notesd::Status notesd_status_ = (expr);        \
    if (!notesd_status_.ok()) return notesd_status_; \
  } while (0)

#define NOTESD_CONCAT_INNER(a, b) a##b
#define NOTESD_CONCAT(a, b) NOTESD_CONCAT_INNER(a, b)
// NOTESD_ASSIGN_OR_RETURN(auto x, MakeX()); propagates the error of a Result<T>.
#define NOTESD_ASSIGN_OR_RETURN(lhs, expr) \
  NOTESD_ASSIGN_OR_RETURN_IMPL(NOTESD_CONCAT(notesd_result_, __LINE__), lhs, expr)
#define NOTESD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
