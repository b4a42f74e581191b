#include <doctest.h>

#include "base/error.hpp"
#include "format_test_util.hpp"

using namespace runnel;
using namespace runnel::testing;
using Rows = std::vector<std::string>;

namespace {
Rows parse_json(const std::string& ddl, const std::string& text, ParseMode mode = ParseMode::Permissive,
                TimestampUnit unit = TimestampUnit::Millis, BadRecords* bad_out = nullptr) {
  BadRecords bad("clicks", mode, "");
  auto reader = make_json_reader(schema_of(ddl), bad_out ? *bad_out : bad, unit);
  return rows_of(read_all(*reader, text));
}
}  // namespace

TEST_CASE("json: basic types, missing and extra fields, blank lines") {
  auto rows = parse_json("a INT, b LONG, s STRING, d DOUBLE, f BOOLEAN",
                         "{\"a\":1,\"b\":9007199254740993,\"s\":\"x\",\"d\":1.5,\"f\":true}\n"
                         "\n  \r\n"
                         "{\"zz\":{\"deep\":[1,2,{\"x\":3}]},\"s\":\"y\"}\r\n"
                         "{\"d\":2,\"a\":null}");  // no trailing newline
  CHECK(rows == Rows{"1|9007199254740993|x|1.500000|true", "null|null|y|null|null", "null|null|null|2.000000|null"});
}

TEST_CASE("json: string escapes and unicode") {
  auto rows = parse_json("s STRING", R"({"s":"a\"b\\c\n\u00e9\ud83d\ude00/é"})" "\n");
  CHECK(rows == Rows{"a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80/\xc3\xa9"});
}

TEST_CASE("json: keys match exactly (as Spark's JSON reader), escaped keys, repeated key last wins") {
  auto rows = parse_json("user STRING, n INT", R"({"User":"A","us\u0065r":"b","n":1,"n":2})" "\n");
  CHECK(rows == Rows{"b|2"});
}

TEST_CASE("json: non-string values into a string column keep their compact JSON text") {
  auto rows = parse_json("s STRING, t STRING, u STRING", R"({"s": {"a" : [1, 2]}, "t": 12.50, "u": true})" "\n");
  CHECK(rows == Rows{R"({"a":[1,2]})" "|12.50|true"});
}

TEST_CASE("json: numbers") {
  CHECK(parse_json("d DOUBLE, f FLOAT", R"({"d":1e400,"f":"NaN"})" "\n") == Rows{"inf|nan"});
  CHECK(parse_json("d DOUBLE", R"({"d":"-Infinity"})" "\n") == Rows{"-inf"});
  CHECK(parse_json("l LONG", R"({"l":-9223372036854775808})" "\n") == Rows{"-9223372036854775808"});
}

TEST_CASE("json: type mismatch keeps the other fields (Spark's partial results)") {
  auto rows = parse_json("a INT, s STRING, _corrupt_record STRING",
                         "{\"a\":1.5,\"s\":\"kept\"}\n{\"a\":3000000000}\n{\"a\":\"1\"}\n{\"a\":7}\n");
  CHECK(rows == Rows{"null|kept|{\"a\":1.5,\"s\":\"kept\"}", "null|null|{\"a\":3000000000}", "null|null|{\"a\":\"1\"}",
                     "7|null|null"});
}

TEST_CASE("json: malformed records: permissive without corrupt column, not an object, trailing garbage") {
  BadRecords bad("clicks", ParseMode::Permissive, "");
  auto rows = parse_json("a INT, s STRING", "{\"a\":1,\"s\":\"x\n[1,2]\n{\"a\":1} x\n{\"a\":2}\n\"str\"\n",
                         ParseMode::Permissive, TimestampUnit::Millis, &bad);
  CHECK(rows == Rows{"null|null", "null|null", "null|null", "2|null", "null|null"});
  CHECK(bad.total() == 4);
  CHECK(bad.take_batch_count() == 4);
  CHECK(bad.take_batch_count() == 0);
}

TEST_CASE("json: drop_malformed drops and counts") {
  BadRecords bad("clicks", ParseMode::DropMalformed, "");
  auto rows = parse_json("a INT, b ARRAY<INT>", "{\"a\":1}\n{\"a\":\n{\"a\":2,\"b\":[1,\"x\"]}\n{\"a\":3,\"b\":[1,2]}\n",
                         ParseMode::DropMalformed, TimestampUnit::Millis, &bad);
  CHECK(rows == Rows{"1|null", "3|[1,2]"});
  CHECK(bad.total() == 2);
}

TEST_CASE("json: fail_fast names source, file, line and column") {
  BadRecords bad("clicks", ParseMode::FailFast, "");
  auto reader = make_json_reader(schema_of("a INT"), bad);
  std::string message;
  try {
    read_all(*reader, "{\"a\":1}\n\n{\"a\": true}\n", Origin{"incoming/a.json", 10, 0});
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadData);
    message = e.what();
  }
  CHECK(message == "source 'clicks': incoming/a.json:12:7: cannot parse the value true of field 'a' as int");
}

TEST_CASE("json: nested struct and array, nulls inside") {
  auto rows = parse_json("p STRUCT<x: INT, tags: ARRAY<STRING>>, l ARRAY<STRUCT<k: STRING>>",
                         R"({"p":{"tags":["a",null],"x":5},"l":[{"k":"v"},{"z":1},null]})" "\n"
                         R"({"p":null,"l":null})" "\n"
                         R"({"p":{"x":"bad"},"l":[]})" "\n");
  // A failed conversion inside a struct nulls the whole top-level field.
  CHECK(rows == Rows{"{5,[a,null]}|[{v},{null},null]", "null|null", "null|[]"});
}

TEST_CASE("json: timestamps, dates, binary") {
  auto rows = parse_json("t TIMESTAMP, u TIMESTAMP, d DATE, b BINARY",
                         R"({"t":"2024-01-02T10:11:12.123Z","u":1704190272123,"d":"2024-01-02","b":"aGVsbG8="})" "\n");
  CHECK(rows == Rows{"2024-01-02T10:11:12.123Z|2024-01-02T10:11:12.123Z|2024-01-02|hello"});
  CHECK(parse_json("t TIMESTAMP", "{\"t\":1704190272}\n", ParseMode::Permissive, TimestampUnit::Seconds) ==
        Rows{"2024-01-02T10:11:12.000Z"});
  CHECK(parse_json("t TIMESTAMP", "{\"t\":\"\"}\n{\"t\":\"nope\"}\n") == Rows{"null", "null"});
}

TEST_CASE("json: batches split at rows_per_batch, complete_prefix") {
  BadRecords bad("clicks", ParseMode::Permissive, "");
  auto reader = make_json_reader(schema_of("a INT"), bad, TimestampUnit::Millis, 2);
  auto batches = read_all(*reader, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n{\"a\":5}\n");
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].size() == 2);
  CHECK(batches[2].size() == 1);
  CHECK(rows_of(batches) == Rows{"1", "2", "3", "4", "5"});
  CHECK(reader->complete_prefix("{\"a\":1}\n{\"a\"") == 8);
  CHECK(reader->complete_prefix("{\"a\"") == 0);
}

TEST_CASE("json: a literal that only starts like null is malformed, not null") {
  BadRecords bad("clicks", ParseMode::DropMalformed, "");
  auto rows = parse_json("a INT, b INT", "{\"a\":nul,\"b\":1}\n{\"a\":nullx,\"b\":2}\n{\"a\":null,\"b\":3}\n",
                         ParseMode::DropMalformed, TimestampUnit::Millis, &bad);
  CHECK(rows == Rows{"null|3"});
  CHECK(bad.total() == 2);
}
