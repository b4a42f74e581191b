#include <doctest.h>

#include "testcase/row_diff.hpp"

using namespace runnel::testcase;
using nlohmann::json;

namespace {
Rows rows(std::initializer_list<const char*> texts) {
  Rows out;
  for (const char* text : texts) out.push_back(json::parse(text));
  return out;
}
}  // namespace

TEST_CASE("values compare exactly, an integer never equals a double") {
  CHECK(same_value(json::parse("2"), json::parse("2")));
  CHECK_FALSE(same_value(json::parse("2"), json::parse("2.0")));
  CHECK(same_value(json::parse("2.5"), json::parse("25e-1")));
  CHECK(same_value(json::parse("18446744073709551615"), json::parse("18446744073709551615")));
  CHECK(same_value(json::parse("-1"), json::parse("-1")));
  CHECK_FALSE(same_value(json::parse(R"({"a":{"b":[1,2]}})"), json::parse(R"({"a":{"b":[1,2.0]}})")));
  CHECK(same_value(json::parse(R"({"a":1,"b":"x"})"), json::parse(R"({"b":"x","a":1})")));
  CHECK_FALSE(same_value(json::parse(R"({"a":1})"), json::parse(R"({"a":1,"b":null})")));
  CHECK_FALSE(same_value(json::parse("null"), json::parse("0")));
}

TEST_CASE("multiset comparison ignores order but counts duplicates") {
  CHECK(diff_rows(rows({R"({"a":1})", R"({"a":2})"}), rows({R"({"a":2})", R"({"a":1})"}), false).empty());
  CHECK(diff_rows({}, {}, false).empty());
  CHECK(diff_rows(rows({R"({"a":1})", R"({"a":1})"}), rows({R"({"a":1})"}), false) ==
        "    1 missing, 0 unexpected (2 expected, 1 actual)\n"
        "    missing:\n"
        "      {\"a\":1}\n"
        "    unexpected: (none)\n");
  CHECK(diff_rows(rows({R"({"a":2})", R"({"a":1})"}), rows({R"({"a":1})", R"({"a":2.0})", R"({"a":0})"}), false) ==
        "    1 missing, 2 unexpected (2 expected, 3 actual)\n"
        "    missing:\n"
        "      {\"a\":2}\n"
        "    unexpected:\n"
        "      {\"a\":0}\n"
        "      {\"a\":2.0}\n");
}

TEST_CASE("ordered comparison names the first differing position") {
  CHECK(diff_rows(rows({R"({"a":1})", R"({"a":2})"}), rows({R"({"a":1})", R"({"a":2})"}), true).empty());
  CHECK(diff_rows(rows({R"({"a":1})", R"({"a":2})"}), rows({R"({"a":2})", R"({"a":1})"}), true) ==
        "    rows differ from position 0 (ordered)\n"
        "    expected:\n"
        "      {\"a\":1}\n"
        "      {\"a\":2}\n"
        "    actual:\n"
        "      {\"a\":2}\n"
        "      {\"a\":1}\n");
  CHECK(diff_rows(rows({R"({"a":1})"}), {}, true) ==
        "    rows differ from position 0 (ordered)\n"
        "    expected:\n"
        "      {\"a\":1}\n"
        "    actual: (none)\n");
}
