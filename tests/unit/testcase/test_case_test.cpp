#include <doctest.h>

#include "base/error.hpp"
#include "testcase/test_case.hpp"

using namespace runnel;
using namespace runnel::testcase;
using nlohmann::json;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_test_case(text, "x.test");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Config);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a pipeline case: batches, inputs, expected rows in all spellings, end") {
  const TestCase tc = parse_test_case(R"(description: where drops null predicates
pipeline: |
  version: 1
batches:
  - input: {in: "{\"a\": 1}\n"}
    expect: {out: ['{"a": 2}', {b: x, c: 2.0, d: "3", e: null, f: true}]}
  - input:
      in: ['{"a": 3}', '{"a": 4}']
    expect:
      out: |
        {"a": 5}

        {"a": 6}
    ordered: true
  - restart: true
  - {}
end: {expect: {out: []}}
)",
                                             "x.test");
  CHECK(tc.description == "where drops null predicates");
  CHECK(tc.pipeline_text == "version: 1\n");
  REQUIRE(tc.steps.size() == 4);
  CHECK(tc.steps[0].line == 5);
  CHECK(tc.steps[0].input.at("in") == "{\"a\": 1}\n");
  const Rows& rows0 = tc.steps[0].expect.rows.at("out");
  REQUIRE(rows0.size() == 2);
  CHECK(rows0[0] == json{{"a", 2}});
  CHECK(rows0[1].dump() == R"({"b":"x","c":2.0,"d":"3","e":null,"f":true})");
  CHECK_FALSE(tc.steps[0].expect.ordered);
  CHECK(tc.steps[1].input.at("in") == "{\"a\": 3}\n{\"a\": 4}\n");
  CHECK(tc.steps[1].expect.rows.at("out").size() == 2);
  CHECK(tc.steps[1].expect.ordered);
  CHECK(tc.steps[2].kind == Step::Kind::Restart);
  CHECK(tc.steps[3].kind == Step::Kind::Batch);
  CHECK(tc.steps[3].input.empty());
  CHECK(tc.end.rows.at("out").empty());
  CHECK_FALSE(tc.command);
  CHECK_FALSE(tc.expect_error);
}

TEST_CASE("an error case and a pipeline_file resolved against the case") {
  const TestCase tc = parse_test_case(R"(description: unknown column
pipeline_file: ../pipelines/p.yaml
env: {X: "1"}
set: ["sinks.out.path=x"]
expect_error: {exit: 78, message: "unknown column 'c'"}
)",
                                      "tests/cases/x.test");
  CHECK(tc.pipeline_file == "tests/cases/../pipelines/p.yaml");
  CHECK(tc.env.at("X") == "1");
  CHECK(tc.overrides == std::vector<std::string>{"sinks.out.path=x"});
  REQUIRE(tc.expect_error);
  CHECK(tc.expect_error->exit == 78);
  CHECK(tc.expect_error->messages == std::vector<std::string>{"unknown column 'c'"});
}

TEST_CASE("a command case") {
  const TestCase tc = parse_test_case(R"(description: console table
pipeline: "version: 1"
command: [run, "{pipeline}", --set, sinks.out.num_rows=2]
stdin: ['{"a": 1}']
expect_exit: 0
expect_stdout: "x\n"
expect_stderr_contains: done
signal: {send: TERM, after_ms: 300}
)",
                                      "x.test");
  REQUIRE(tc.command);
  CHECK(tc.command->args == std::vector<std::string>{"run", "{pipeline}", "--set", "sinks.out.num_rows=2"});
  CHECK(tc.command->stdin_data == "{\"a\": 1}\n");
  CHECK(tc.command->expect_stdout == "x\n");
  CHECK(tc.command->expect_stderr_contains == std::vector<std::string>{"done"});
  CHECK(tc.command->signal == "TERM");
  CHECK(tc.command->signal_after_ms == 300);
}

TEST_CASE("bad cases fail with file:line:col and what was expected") {
  CHECK(error_of("pipeline: x\n") == "x.test:1:1: missing required field 'description' (say what the case shows)");
  CHECK(error_of("description: d\nbatchs: []\n").find("x.test:2:1: unknown key 'batchs' in a test case") == 0);
  CHECK(error_of("description: d\n") == "x.test:1:1: missing 'pipeline' (inline YAML) or 'pipeline_file'");
  CHECK(error_of("description: d\npipeline: p\nbatches:\n  - expect: {out: ['{\"a\": ']}\n")
            .find("x.test:4:20: expected row is not valid JSON") == 0);
  CHECK(error_of("description: d\npipeline: p\nbatches:\n  - expect: {out: ['[1]']}\n")
            .find("x.test:4:20: an expected row must be a JSON object") == 0);
  CHECK(error_of("description: d\npipeline: p\nbatches:\n  - expect: {out: \"{\\\"a\\\":1}\\n[2]\\n\"}\n")
            .find("x.test:4:19: expected row 2 is not a JSON object") == 0);
  CHECK(error_of("description: d\npipeline: p\nexpect_error: {message: x}\n").find("needs 'exit'") != std::string::npos);
  CHECK(error_of("description: d\npipeline: p\nexpect_exit: 1\n") == "x.test:3:14: 'expect_exit' needs `command:` (the command form)");
  CHECK(error_of("description: d\ncommand: [run]\nbatches: []\n").find("belongs to the pipeline form") != std::string::npos);
  CHECK(error_of("description: d\npipeline: p\nbatches: [{input: {a: x}, expct: {}}]\n").find("unknown key 'expct' in a batch") != std::string::npos);
  CHECK(error_of("description: [unclosed\n").find("x.test:") == 0);
  CHECK(error_of("- a\n") == "x.test: a test case must be a YAML map");
}
