// The JSON reader's fast paths (raw keys, raw strings, key order guesses)
// must give the same values as the general paths they short-cut.
#include <doctest.h>

#include "base/error.hpp"
#include "format_test_util.hpp"

using namespace runnel;
using namespace runnel::testing;
using Rows = std::vector<std::string>;

namespace {
Rows parse_json(const std::string& ddl, const std::string& text) {
  BadRecords bad("clicks", ParseMode::Permissive, "");
  auto reader = make_json_reader(schema_of(ddl), bad);
  return rows_of(read_all(*reader, text));
}
}  // namespace

TEST_CASE("json fast paths: keys in changing orders, prefixes of other keys, unknown keys") {
  auto rows = parse_json("a INT, ab INT, b STRING",
                         "{\"b\":\"x\",\"ab\":2,\"a\":1}\n"
                         "{\"b\":\"y\",\"ab\":4,\"a\":3}\n"
                         "{\"a\":5,\"abc\":0,\"b\":\"z\",\"ab\":6}\n"
                         "{\"ab\":8,\"\":9,\"a\":7}\n");
  CHECK(rows == Rows{"1|2|x", "3|4|y", "5|6|z", "7|8|null"});
}

TEST_CASE("json fast paths: schema names with quotes and backslashes match unescaped keys only") {
  auto rows = parse_json("`a\"b` INT, `c\\d` INT, e INT",
                         R"({"a\"b":1,"c\\d":2,"\u0065":3})" "\n"
                         R"({"a\"b\"":1,"c\\dd":2,"e\"":3})" "\n");
  CHECK(rows == Rows{"1|2|3", "null|null|null"});
}

TEST_CASE("json fast paths: strings with and without escapes in every string-read type") {
  auto rows = parse_json("s STRING, t TIMESTAMP, d DATE, b BINARY, x DOUBLE",
                         R"({"s":"plain","t":"2024-01-02T10:11:12.123Z","d":"2024-01-02","b":"aGk=","x":"NaN"})" "\n"
                         R"({"s":"tab\there \"q\"","t":"2024-01-02T10:11:12.123\u005a","d":"2024-01-0\u0032",)"
                         R"("b":"aG\u006b=","x":"-Infinit\u0079"})" "\n"
                         R"({"s":"","t":"","d":"  2024-01-02 ","b":"","x":"nan"})" "\n");
  CHECK(rows == Rows{"plain|2024-01-02T10:11:12.123Z|2024-01-02|hi|nan",
                     "tab\there \"q\"|2024-01-02T10:11:12.123Z|2024-01-02|hi|-inf", "|null|2024-01-02||null"});
}

TEST_CASE("json fast paths: strings inside arrays and structs, whitespace around values") {
  auto rows = parse_json("l ARRAY<STRING>, p STRUCT<k: STRING, v: INT>",
                         "{ \"l\" : [ \"a\" , \"b\\\\c\" , \"\" ] , \"p\" : { \"v\" : 1 , \"k\" : \"x y\" } }\n");
  CHECK(rows == Rows{"[a,b\\c,]|{x y,1}"});
}

TEST_CASE("json fast paths: names at word boundaries and longer than the word compare, keys that are prefixes") {
  std::string n7(7, 'k'), n8(8, 'k'), n15(15, 'k'), n16(16, 'k'), n70(70, 'k');
  auto rows = parse_json(n7 + " INT, " + n8 + " INT, " + n15 + " INT, " + n16 + " INT, " + n70 + " INT",
                         "{\"" + n16 + "\":4,\"" + n70 + "\":5,\"" + n8 + "\":2,\"" + n15 + "\":3,\"" + n7 + "\":1}\n" +
                             "{\"" + n7 + "k\":1,\"" + n8.substr(1) + "\":2,\"" + n70 + "k\":5,\"" + n70.substr(1) +
                             "\":5}\n");
  CHECK(rows == Rows{"1|2|3|4|5", "2|1|null|null|null"});
}
