// Errors that reach the user. Each kind maps 1:1 to a sysexits(3) exit code,
// which is part of runnel's command-line contract (see man/runnel.1).
// Library exceptions (yaml-cpp, CLI11, nlohmann, simdjson) are caught at the
// adapter that calls the library and rethrown as runnel::Error.
#pragma once
#include <stdexcept>
#include <string>

namespace runnel {

enum class ErrorKind {
  Usage = 64,        // EX_USAGE: bad command line
  BadData = 65,      // EX_DATAERR: malformed record under mode fail_fast
  NoInput = 66,      // EX_NOINPUT: a named input file or directory is missing
  Unavailable = 69,  // EX_UNAVAILABLE: a service is unreachable after retries
  Internal = 70,     // EX_SOFTWARE: a bug in runnel (an invariant failed)
  IO = 74,           // EX_IOERR: read/write/fsync failed, disk full
  Config = 78,       // EX_CONFIG: invalid pipeline file or option
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

// Internal invariant: a failure is a runnel bug, never a user error.
#define RUNNEL_ASSERT(cond)                                                                        \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::runnel::fail(::runnel::ErrorKind::Internal,                                                \
                     std::string("internal error: ") + #cond + " at " + __FILE__ + ":" +           \
                         std::to_string(__LINE__));                                                \
  } while (0)

}  // namespace runnel
