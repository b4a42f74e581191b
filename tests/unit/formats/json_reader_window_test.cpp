// The JSON reader parses windows of many lines with one simdjson stream and
// falls back to per-line parsing where the stream cannot vouch for a line.
// Whatever the mix of lines, the outcome must be exactly that of parsing each
// line on its own: same rows, same malformed count, same first error.
#include <doctest.h>

#include <random>

#include "base/error.hpp"
#include "format_test_util.hpp"

using namespace runnel;
using namespace runnel::testing;
using Rows = std::vector<std::string>;

namespace {

const char* const kSchema = "a INT, s STRING, _corrupt_record STRING";

// Lines that challenge the stream: records that span lines, share a line,
// are not objects, have bad bytes, or convert badly.
const std::vector<std::string> kTrickyLines = {
    R"({"a":1,"s":"x)",        R"({"a":)",          "}",
    R"({"a":1} x)",            R"({"a":1}{"a":2})", "[1,2]",
    R"("str")",                R"(  {"a":2}  )",    "",
    "   ",                     "\r",                R"({"a":1}\r)",
    R"({"a":"1"})",            R"({"s":"a\"b"})",   R"({"s":"x)",
    R"(y"})",                  "{\"s\":\"\xff\"}",  R"({"a":1,"s":"\u00e9"})",
    R"({"zz":[1,{"q":"]}"}],"a":3})", R"({"a":nul})", R"({"a":tru})",
    R"({"a":1,})",             R"({"a" 1})",        "\f{\"a\":1}",
    R"({"a":1,"s":"\")",       R"(\"})",            R"({"a":1,"s":"ok"}})",
    R"({"a":1.5,"s":"partial"})", R"(1)",           R"({"s":"a\\"})",
    "\xEF\xBB\xBF{\"a\":1}",  // a byte order mark
};

std::string pick_line(std::mt19937& random) {
  if (random() % 3) return R"({"a":)" + std::to_string(random() % 1000) + R"(,"s":"v)" + std::to_string(random()) + "\"}";
  return kTrickyLines[random() % kTrickyLines.size()];
}

struct Outcome {
  Rows rows;
  uint64_t malformed = 0;
  std::string first_error;
};

Outcome parse(const std::string& text, ParseMode mode, uint64_t first_line = 1) {
  BadRecords bad("clicks", mode, "");
  auto reader = make_json_reader(schema_of(kSchema), bad);
  Outcome outcome;
  try {
    outcome.rows = rows_of(read_all(*reader, text, Origin{"in.json", first_line, 0}));
  } catch (const Error& e) {
    outcome.first_error = e.what();
  }
  outcome.malformed = bad.total();
  return outcome;
}

// Each line parsed on its own (a one-line input never goes through a stream).
Outcome parse_line_by_line(const std::vector<std::string>& lines, ParseMode mode) {
  Outcome all;
  for (size_t i = 0; i < lines.size() && all.first_error.empty(); ++i) {
    Outcome one = parse(lines[i] + "\n", mode, i + 1);
    all.rows.insert(all.rows.end(), one.rows.begin(), one.rows.end());
    all.malformed += one.malformed;
    all.first_error = one.first_error;
  }
  return all;
}

void check_same_as_line_by_line(size_t line_count, uint32_t seed, const std::string& first_line = {}) {
  std::mt19937 random(seed);
  std::vector<std::string> lines;
  std::string text;
  for (size_t i = 0; i < line_count; ++i) {
    lines.push_back(i == 0 && !first_line.empty() ? first_line : pick_line(random));
    text += lines.back() + "\n";
  }
  for (ParseMode mode : {ParseMode::Permissive, ParseMode::DropMalformed, ParseMode::FailFast}) {
    Outcome expected = parse_line_by_line(lines, mode);
    Outcome got = parse(text, mode);
    CHECK(got.first_error == expected.first_error);
    if (mode == ParseMode::FailFast) continue;  // rows are lost with the exception
    CHECK(got.rows.size() == expected.rows.size());
    CHECK(got.rows == expected.rows);
    CHECK(got.malformed == expected.malformed);
  }
}

}  // namespace

TEST_CASE("json windows: a few lines, mixed good and malformed, same as line by line") {
  for (uint32_t seed = 1; seed <= 40; ++seed) check_same_as_line_by_line(12, seed);
}

TEST_CASE("json windows: a tricky first line, same as line by line") {
  for (uint32_t seed = 1; seed <= 10; ++seed)
    for (const std::string& first : kTrickyLines) check_same_as_line_by_line(8, seed, first);
}

TEST_CASE("json windows: inputs longer than a window, same as line by line") {
  check_same_as_line_by_line(12000, 7);  // about 400 KB: two windows
}

TEST_CASE("json windows: only good lines, blank lines between, no final line break") {
  std::string text;
  Rows expected;
  for (int i = 0; i < 20000; ++i) {
    text += R"({"s":"v","a":)" + std::to_string(i) + "}\n";
    if (i % 7 == 0) text += "  \r\n\n";
    expected.push_back(std::to_string(i) + "|v|null");
  }
  text += R"({"a":-1})";
  expected.push_back("-1|null|null");
  CHECK(parse(text, ParseMode::FailFast).rows == expected);
}

TEST_CASE("json windows: fail_fast reports the exact line and column after many good lines") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += R"({"a":1,"s":"x"})" "\n";
  text += R"({"a":1, "s":"x"} [)" "\n";
  for (int i = 0; i < 10; ++i) text += R"({"a":1})" "\n";
  std::string alone = parse(R"({"a":1, "s":"x"} [)" "\n", ParseMode::FailFast).first_error;
  REQUIRE(alone.find("in.json:1:") != std::string::npos);
  alone.replace(alone.find("in.json:1:"), 10, "in.json:5003:");
  CHECK(parse(text, ParseMode::FailFast, 3).first_error == alone);
}
