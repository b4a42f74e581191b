#include <doctest.h>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/error.hpp"
#include "format_test_util.hpp"

using namespace runnel;
using namespace runnel::testing;
using Rows = std::vector<std::string>;

namespace {
Rows parse_csv(const std::string& ddl, const std::string& text, CsvOptions options = {},
               ParseMode mode = ParseMode::Permissive, Origin origin = Origin{"in.csv", 1, 0}) {
  BadRecords bad("t", mode, "");
  auto reader = make_csv_reader(schema_of(ddl), bad, options);
  return rows_of(read_all(*reader, text, origin));
}
}  // namespace

TEST_CASE("csv: quotes, escapes, embedded delimiters and newlines, CRLF, nulls") {
  auto rows = parse_csv("a STRING, b INT, c STRING",
                        "x,1,\"q,\"\"uo\"\"te\"\r\n"
                        "\"multi\nline\",2,\"back\\\"slash\"\n"
                        "\n"
                        ",,\"\"\n"
                        "last,3,end");
  CHECK(rows == Rows{"x|1|q,\"uo\"te", "multi\nline|2|back\"slash", "null|null|null", "last|3|end"});
}

TEST_CASE("csv: carriage returns and quotes in unquoted fields, text after a closing quote") {
  // A '\r' is text unless a newline (or the data's end) follows it; a quote
  // opens quoting only at a field's start; after a closing quote, text goes on.
  auto rows = parse_csv("a STRING, b STRING, c STRING",
                        "a\rb,c\r,\"q\"x\"y\n"
                        "mid\"dle,,last\r");
  CHECK(rows == Rows{"a\rb|c\r|qx\"y", "mid\"dle|null|last"});
}

TEST_CASE("csv: unquoted fields shorter than, as long as and longer than the 16-byte scan") {
  // A field's end is searched sixteen bytes at a time: a delimiter or newline
  // at every offset of a block, and the data's end inside a block, must cut it.
  std::string text;
  Rows expected;
  for (size_t n = 0; n <= 40; ++n) {
    const std::string a(n, 'a'), b(40 - n, 'b');
    text += a + "," + b + (n % 2 ? "\r\n" : "\n");
    expected.push_back((n ? a : "null") + "|" + (n < 40 ? b : "null"));
  }
  text += std::string(17, 'x') + "," + std::string(15, 'y');  // no newline at the end
  expected.push_back(std::string(17, 'x') + "|" + std::string(15, 'y'));
  CHECK(parse_csv("a STRING, b STRING", text) == expected);
}

TEST_CASE("csv: data without quotes reads as the general path reads it (random records)") {
  // Data without a quote is converted straight from its bytes; a quoted
  // record appended at the end sends the same records down the general path.
  std::mt19937 random(7);
  const std::string alphabet = "a1-,,\n\r NA";
  for (int round = 0; round < 400; ++round) {
    std::string text;
    for (int n = std::uniform_int_distribution<int>(0, 60)(random); n > 0; --n)
      text += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(random)];
    CsvOptions options;
    if (round % 2) options.null_value = "NA";
    const std::string ddls[] = {"a INT, b STRING, c STRING, _corrupt_record STRING", "a STRING", "a STRING, b INT"};
    const std::string& ddl = ddls[round % 3];
    const std::string suffixes[] = {"\n1,\"q\",2\n", "\n\"q\"\n", "\n\"q\",1\n"};  // a valid quoted record
    const std::string& suffix = suffixes[round % 3];
    Rows direct = parse_csv(ddl, text, options), general = parse_csv(ddl, text + suffix, options);
    REQUIRE(!general.empty());
    general.pop_back();
    CHECK_MESSAGE(direct == general, "text: " << text);
    std::string direct_error, general_error;
    try {
      parse_csv(ddl, text, options, ParseMode::FailFast);
    } catch (const Error& e) {
      direct_error = e.what();
    }
    try {
      parse_csv(ddl, text + suffix, options, ParseMode::FailFast);
    } catch (const Error& e) {
      general_error = e.what();
    }
    CHECK_MESSAGE(direct_error == general_error, "text: " << text);
  }
}

TEST_CASE("csv: header skipped only at the start of a file; null_value; delimiter") {
  CsvOptions options;
  options.header = true;
  options.delimiter = ';';
  options.null_value = "NA";
  CHECK(parse_csv("a STRING, b DOUBLE", "a;b\nNA;1.5\n\"\";NaN\n", options) == Rows{"null|1.500000", "|nan"});
  CHECK(parse_csv("a STRING, b DOUBLE", "x;2\n", options, ParseMode::Permissive, Origin{"in.csv", 7, 120}) ==
        Rows{"x|2.000000"});
}

TEST_CASE("csv: malformed records per mode, partial results, positions") {
  CHECK(parse_csv("a INT, b STRING, _corrupt_record STRING", "1,x\nzz,y\n1\n1,2,3\n") ==
        Rows{"1|x|null", "null|y|zz,y", "1|null|1", "1|2|1,2,3"});
  CHECK(parse_csv("a INT, b STRING", "1,x\nzz,y\n", {}, ParseMode::DropMalformed) == Rows{"1|x"});
  std::string message;
  try {
    parse_csv("a INT, b INT", "1,2\n\"multi\nline\",3\n4,x\n", {}, ParseMode::FailFast);
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message == "source 't': in.csv:2:1: cannot parse the value 'multi\nline' of column 'a' as int");
  try {
    parse_csv("a INT, b INT", "1,2\n4,x\n", {}, ParseMode::FailFast);
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message == "source 't': in.csv:2:3: cannot parse the value 'x' of column 'b' as int");
}

TEST_CASE("csv: complete_prefix honours quoted newlines") {
  BadRecords bad("t", ParseMode::Permissive, "");
  auto reader = make_csv_reader(schema_of("a STRING"), bad, {});
  CHECK(reader->complete_prefix("a\n\"b\nc") == 2);
  CHECK(reader->complete_prefix("a\n\"b\nc\"\n") == 8);
  CHECK(reader->complete_prefix("\"x\\\"\ny\"\n") == 8);
  // Without a quote: the last newline, or nothing whole.
  CHECK(reader->complete_prefix("a,b\nc\\d\ne") == 8);
  CHECK(reader->complete_prefix("a,b") == 0);
}

TEST_CASE("csv writer: Spark's quoting, header, nulls, trimming") {
  auto schema = schema_of("s STRING, d DOUBLE, t TIMESTAMP");
  Batch batch = Batch::builder(schema, 4);
  for (auto s : {"plain", "a,b", "say \"hi\"", "", "  pad  "}) batch.columns[0]->append_string(s);
  batch.columns[0]->append_null();
  for (int i = 0; i < 6; ++i) batch.columns[1]->append<double>(i == 1 ? 1e10 : 0.5);
  for (int i = 0; i < 6; ++i) batch.columns[2]->append_null();
  batch.columns[2]->resize(6);
  batch.num_rows = 6;
  CsvOptions options;
  options.header = true;
  auto writer = make_csv_writer(schema, options);
  AlignedBytes out;
  writer->begin(out);
  writer->write(batch, out);
  CHECK(out.view() == "s,d,t\nplain,0.5,\n\"a,b\",1.0E10,\n\"say \\\"hi\\\"\",0.5,\n\"\",0.5,\npad,0.5,\n,0.5,\n");
  CHECK_THROWS_AS(make_csv_writer(schema_of("a ARRAY<INT>"), {}), Error);
}

TEST_CASE("text reader and writer") {
  BadRecords bad("t", ParseMode::Permissive, "");
  auto reader = make_text_reader(schema_of("value STRING"), bad);
  auto batches = read_all(*reader, "one\r\n\ntwo");
  CHECK(rows_of(batches) == Rows{"one", "", "two"});
  AlignedBytes out;
  auto writer = make_text_writer(schema_of("value STRING"));
  for (auto& b : batches) writer->write(b, out);
  CHECK(out.view() == "one\n\ntwo\n");
  std::string message;
  try {
    make_text_writer(schema_of("a STRING, b INT"));
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message == "text format needs exactly one string column, got a: string, b: int");
}

TEST_CASE("dead letter file gets one JSON line per malformed record") {
  std::string dir = "/tmp/runnel_dead_letter_test";
  std::filesystem::remove_all(dir);
  {
    BadRecords bad("clicks", ParseMode::Permissive, dir + "/sub/dead.jsonl");
    auto reader = make_json_reader(schema_of("a INT"), bad);
    read_all(*reader, "{\"a\":1}\n{\"a\":\"x\"}\n", Origin{"in/a.json", 3, 0});
    CHECK(bad.take_batch_count() == 1);
  }
  std::ifstream in(dir + "/sub/dead.jsonl");
  std::string line;
  std::getline(in, line);
  CHECK(line == R"({"source":"clicks","position":{"file":"in/a.json","line":4,"column":6},)"
                R"("reason":"cannot parse the value \"x\" of field 'a' as int","record":"{\"a\":\"x\"}"})");
}
