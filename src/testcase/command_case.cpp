// The command form: runs the runnel binary and checks exit code and output.
#include <filesystem>

#include "base/error.hpp"
#include "testcase/child_process.hpp"
#include "testcase/runner.hpp"

namespace runnel::testcase {
namespace {

std::string substitute(std::string arg, const std::string& placeholder, const std::string& value) {
  for (size_t at = arg.find(placeholder); at != std::string::npos; at = arg.find(placeholder, at + value.size()))
    arg.replace(at, placeholder.size(), value);
  return arg;
}

// Output shown line by line behind a margin, so trailing spaces and a missing
// final newline are visible.
std::string quoted_block(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const bool last = end == std::string::npos;
    out += "      |" + text.substr(start, last ? std::string::npos : end - start) + (last ? "  (no newline at end)\n" : "\n");
    start = last ? text.size() : end + 1;
  }
  return out.empty() ? "      (empty)\n" : out;
}

}  // namespace

std::string run_command_case(const TestCase& test_case, const CaseDir& dir, const std::string& binary) {
  const Command& command = *test_case.command;
  ChildSpec spec;
  spec.program = binary;
  for (const std::string& arg : command.args)
    spec.args.push_back(substitute(substitute(arg, "{pipeline}", dir.pipeline()), "{dir}", dir.path()));
  spec.stdin_data = command.stdin_data;
  spec.cwd = dir.path();
  spec.env = test_case.env;
  if (!command.script.empty()) {
    spec.program = "/bin/sh";
    spec.args = {"-c", command.script};
    spec.env["RUNNEL"] = binary;
    spec.env["PIPELINE"] = dir.pipeline();
    spec.env["TEST_DIR"] = std::filesystem::absolute(test_case.file).parent_path().string();
  }
  spec.timeout_ms = command.timeout_ms;
  if (command.signal) {
    spec.signal = signal_number(*command.signal);
    if (!spec.signal) return "    unknown signal '" + *command.signal + "'\n";
    spec.signal_after_ms = command.signal_after_ms;
  }
  const ChildResult result = run_child(spec);

  std::string report;
  if (result.timed_out) report += "    timed out after " + std::to_string(command.timeout_ms) + " ms (killed)\n";
  if (result.exit_code != command.expect_exit)
    report += "    exit code: expected " + std::to_string(command.expect_exit) + ", got " +
              std::to_string(result.exit_code) + "\n";
  if (command.expect_stdout && result.out != *command.expect_stdout)
    report += "    stdout differs\n    expected:\n" + quoted_block(*command.expect_stdout) + "    actual:\n" +
              quoted_block(result.out);
  for (const std::string& needle : command.expect_stderr_contains)
    if (result.err.find(needle) == std::string::npos) report += "    stderr lacks: " + needle + "\n";
  if (!report.empty()) report += "    stderr was:\n" + quoted_block(result.err);
  return report;
}

}  // namespace runnel::testcase
