// Runs a program to completion with given stdin, capturing stdout and stderr,
// for the command form of test cases (exit codes, exact output, signals).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace runnel::testcase {

struct ChildSpec {
  std::string program;             // path of the executable
  std::vector<std::string> args;   // argv[1..]
  std::string stdin_data;
  std::string cwd;                 // "" = inherit
  std::map<std::string, std::string> env;  // added to the inherited environment
  std::optional<int> signal;       // sent once after signal_after_ms
  int64_t signal_after_ms = 0;
  int64_t timeout_ms = 60000;      // then SIGKILL
};

struct ChildResult {
  int exit_code = 0;  // the exit status, or 128 + signal number when killed by a signal
  bool timed_out = false;
  std::string out, err;
};

// Throws Error(IO) when the process cannot be started.
ChildResult run_child(const ChildSpec& spec);

// "INT"/"SIGINT"/"2" -> SIGINT; nullopt for an unknown name.
std::optional<int> signal_number(const std::string& name);

}  // namespace runnel::testcase
