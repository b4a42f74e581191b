// A test case: one `.test` file (format documented in docs/testing.md).
//
// A case is data that reads like a bug report: a pipeline, the input of each
// micro-batch, and what every sink must emit in each batch (or the error the
// run must stop with). A second form runs the runnel binary itself with a
// command line, stdin and environment, and checks exit code, stdout and stderr.
// The same parser serves ctest (tests/cases/**) and users' `runnel test`.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace runnel::testcase {

using Rows = std::vector<nlohmann::json>;  // each a JSON object

// Expected rows per sink name; a sink not listed must emit nothing.
struct Expectation {
  std::map<std::string, Rows> rows;
  bool ordered = false;  // compare in order instead of as a multiset
};

// One entry of `batches`: a micro-batch, or an action between batches.
struct Step {
  enum class Kind { Batch, Restart, Kill };
  Kind kind = Kind::Batch;
  std::map<std::string, std::string> input;  // source name -> bytes of this batch
  Expectation expect;
  int line = 0;  // 1-based line of the entry in the case file, for failure messages
};

struct ExpectedError {
  int exit = 0;                       // the sysexits code of the error
  std::vector<std::string> messages;  // substrings the error message must contain
};

// The command form: runs the runnel binary with `args`; `{pipeline}` and
// `{dir}` in an argument are replaced by the pipeline file and the case's
// temporary directory (also the child's working directory).
//
// Or `script:` runs a shell script (/bin/sh -c) in that directory instead, with
// $RUNNEL the runnel binary, $PIPELINE the pipeline file and $TEST_DIR the
// directory of the .test file (for shared scripts): for what takes
// several runs (a crash at a named point, a restart, a look at the output).
struct Command {
  std::vector<std::string> args;
  std::string script;  // when set, run by /bin/sh instead of args
  std::string stdin_data;
  int expect_exit = 0;
  std::optional<std::string> expect_stdout;      // exact
  std::vector<std::string> expect_stderr_contains;
  std::optional<std::string> signal;             // "INT", "TERM", ... sent after signal_after_ms
  int64_t signal_after_ms = 0;
  int64_t timeout_ms = 60000;
};

struct TestCase {
  std::string file;         // path of the .test file as given
  std::string description;
  // Exactly one of pipeline_text (inline) and pipeline_file (resolved against
  // the case's directory) is set, except in a command case, which may have neither.
  std::string pipeline_text;
  std::string pipeline_file;
  std::map<std::string, std::string> files;  // relative path -> content, written to the temp dir
  std::map<std::string, std::string> env;    // set while the case runs
  std::vector<std::string> overrides;        // `set:` -> load_pipeline's --set assignments

  std::vector<Step> steps;  // pipeline form
  Expectation end;          // the end-of-stream batch; empty unless given
  std::optional<ExpectedError> expect_error;

  std::optional<Command> command;  // command form
};

// Parses a case; throws Error(Config) "file:line:col: message" on a bad case.
TestCase parse_test_case(const std::string& text, const std::string& file);
TestCase load_test_case(const std::string& file);

// Parses expected rows: a sequence whose items are JSON object strings or YAML
// maps, or one block string of JSON lines. Exposed for tests.
Rows parse_rows_text(const std::string& json_lines, const std::string& where);

}  // namespace runnel::testcase
