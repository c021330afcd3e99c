// Exception hierarchy of pottsrbm. `main` catches pottsrbm::Error once, prints "error: what()"
// and exits with exit_code(): 1 for bad input or failed computation, 2 for bad usage.
#pragma once

#include <stdexcept>
#include <string>

namespace pottsrbm {

/// Base of every error pottsrbm reports to a user. what() is one line, without "error: ".
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    /// Process exit code for this kind of error.
    [[nodiscard]] virtual int exit_code() const noexcept { return 1; }
};

/// A malformed, truncated or inconsistent input file (alignment, model, weights, ...).
class InputError : public Error {
public:
    using Error::Error;
};

/// A bad command-line option or parameter value (names the option and the value).
class UsageError : public Error {
public:
    using Error::Error;
    [[nodiscard]] int exit_code() const noexcept override { return 2; }
};

/// A computation that cannot go on (NaN, divergence, I/O failure while writing).
class RuntimeFailure : public Error {
public:
    using Error::Error;
};

/// Raised when SIGINT/SIGTERM asked a long computation to stop (after its state was saved).
class Interrupted : public Error {
public:
    using Error::Error;
    [[nodiscard]] int exit_code() const noexcept override { return 130; }
};

}  // namespace pottsrbm
