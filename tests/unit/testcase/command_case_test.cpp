#include <doctest.h>

#include "testcase/child_process.hpp"
#include "testcase/runner.hpp"

using namespace runnel::testcase;

namespace {
// Command cases run /bin/sh here instead of runnel, so the checks are tested alone.
std::string run_sh(const std::string& case_text) {
  const TestCase tc = parse_test_case(case_text, "sh.test");
  const CaseDir dir(tc);
  return run_command_case(tc, dir, "/bin/sh");
}
}  // namespace

TEST_CASE("child processes: stdin, stdout, stderr, exit code, cwd, env") {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c", "cat; echo err >&2; echo \"$RT_X\" $(pwd); exit 3"};
  spec.stdin_data = std::string(200000, 'x');  // more than a pipe buffer
  spec.cwd = "/";
  spec.env = {{"RT_X", "hello"}};
  const ChildResult result = run_child(spec);
  CHECK(result.exit_code == 3);
  CHECK(result.out == std::string(200000, 'x') + "hello /\n");
  CHECK(result.err == "err\n");
  CHECK(getenv("RT_X") == nullptr);
}

TEST_CASE("child processes: signals and timeouts") {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c", "trap 'echo got; exit 0' TERM; while true; do sleep 0.05; done"};
  spec.signal = signal_number("SIGTERM");
  spec.signal_after_ms = 200;
  ChildResult result = run_child(spec);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "got\n");

  spec.args = {"-c", "exec sleep 5"};
  spec.signal.reset();
  spec.timeout_ms = 200;
  result = run_child(spec);
  CHECK(result.timed_out);
  CHECK(result.exit_code == 128 + 9);
  CHECK_FALSE(signal_number("NOPE"));
  CHECK(signal_number("INT") == 2);
}

TEST_CASE("command cases: placeholders, files and the pass/fail report") {
  CHECK(run_sh(R"Y(description: passes
files: {data/in.txt: "hi\n"}
pipeline: "version: 1\n"
command: [-c, 'cat {pipeline} data/in.txt; test "$(pwd)" = {dir} && echo oops >&2; exit 2']
expect_exit: 2
expect_stdout: "version: 1\nhi\n"
expect_stderr_contains: [oops]
)Y") == "");
  CHECK(run_sh(R"(description: fails
command: [-c, 'printf "a \nb"; echo boom >&2']
expect_exit: 1
expect_stdout: "a\n"
expect_stderr_contains: bang
)") == "    exit code: expected 1, got 0\n"
       "    stdout differs\n"
       "    expected:\n"
       "      |a\n"
       "    actual:\n"
       "      |a \n"
       "      |b  (no newline at end)\n"
       "    stderr lacks: bang\n"
       "    stderr was:\n"
       "      |boom\n");
}
