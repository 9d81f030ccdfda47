#pragma once
// The error hierarchy shared by every module. Each class maps to one exit code; the
// mapping lives in one place, cli/exit_codes.cc. Messages name the file, path or flag.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace purist {

/// Base of every error purist throws on purpose. `what()` is a complete sentence for a user.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A bad command line: unknown flag, wrong number of arguments. Exit code 2.
class UsageError : public Error {
public:
    using Error::Error;
};

/// A bad configuration, policy, rule or spec file. `what()` reads
/// `file:line:column: message` when a position is known. Exit code 2.
class ConfigError : public Error {
public:
    /// A position-less error about `file` (or about a value with no file, if empty).
    ConfigError(const std::string& file, const std::string& message);
    /// `line` and `column` are 1-based, as editors show them.
    ConfigError(const std::string& file, int line, int column, const std::string& message);

    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int column() const { return column_; }

private:
    std::string file_;
    int line_ = 0;
    int column_ = 0;
};

/// A failed system call; carries errno. `what()` reads `message: strerror(errno)`.
class SysError : public Error {
public:
    /// Captures the current `errno`.
    explicit SysError(const std::string& message);
    SysError(int errorNumber, const std::string& message);

    int errorNumber() const { return errno_; }

private:
    int errno_;
};

/// Bad data: a corrupt or hostile NAR, a malformed hash or store path, a store DB that
/// disagrees with the store's contents.
class FormatError : public Error {
public:
    using Error::Error;
};

/// A store operation that cannot proceed: an invalid path queried, a reference to a path
/// that is not valid, a registration that would break the store's invariants.
class StoreError : public Error {
public:
    using Error::Error;
};

/// A builder failed, timed out or produced wrong outputs. Exit code 3.
class BuildError : public Error {
public:
    using Error::Error;
};

/// The sandbox could not be set up in the mode the policy demands. Exit code 4.
class SandboxError : public Error {
public:
    using Error::Error;
};

} // namespace purist
