#include <doctest.h>

#include <cmath>

#include "format_test_util.hpp"

using namespace runnel;
using namespace runnel::testing;

TEST_CASE("json writer: Spark's output, nulls omitted, selection vector honoured") {
  auto schema = schema_of("i INT, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, b BOOLEAN, bin BINARY, "
                          "st STRUCT<x: INT, y: STRING>, a ARRAY<DOUBLE>");
  Batch batch = Batch::builder(schema, 4);
  auto& c = batch.columns;
  c[0]->append<int32_t>(1);
  c[0]->append_null();
  c[0]->append<int32_t>(-3);
  c[1]->append<double>(1.0);
  c[1]->append<double>(1e10);
  c[1]->append<double>(NAN);
  c[2]->append_string("q\"\\\n\x01\xc3\xa9");
  c[2]->append_null();
  c[2]->append_string("");
  c[3]->append<int64_t>(1704190272123000);
  c[3]->append_null();
  c[3]->append_null();
  c[4]->append<int32_t>(19724);
  c[4]->append_null();
  c[4]->append_null();
  c[5]->append<uint8_t>(1);
  c[5]->append_null();
  c[5]->append_null();
  c[6]->append_string("hello");
  c[6]->append_null();
  c[6]->append_null();
  c[7]->children()[0]->append<int32_t>(5);
  c[7]->children()[1]->append_null();
  c[7]->resize(1);
  c[7]->append_null();
  c[7]->append_null();
  c[8]->children()[0]->append<double>(0.5);
  c[8]->children()[0]->append_null();
  c[8]->end_array();
  c[8]->end_array();
  c[8]->append_null();
  batch.num_rows = 3;
  AlignedBytes out;
  auto writer = make_json_writer(schema);
  writer->write(batch, out);
  CHECK(out.view() ==
        "{\"i\":1,\"d\":1.0,\"s\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\",\"t\":\"2024-01-02T10:11:12.123Z\",\"dt\":\"2024-01-02\","
        "\"b\":true,\"bin\":\"aGVsbG8=\",\"st\":{\"x\":5},\"a\":[0.5,null]}\n"
        "{\"d\":1.0E10,\"a\":[]}\n"
        "{\"i\":-3,\"d\":\"NaN\",\"s\":\"\"}\n");
  batch.sel = std::make_shared<const std::vector<uint32_t>>(std::vector<uint32_t>{2});
  out.clear();
  writer->write(batch, out);
  CHECK(out.view() == "{\"i\":-3,\"d\":\"NaN\",\"s\":\"\"}\n");
}

TEST_CASE("json writer output reads back") {
  auto schema = schema_of("s STRING, n LONG");
  BadRecords bad("x", ParseMode::FailFast, "");
  auto reader = make_json_reader(schema, bad);
  auto batches = read_all(*reader, "{\"s\":\"a\\u0000b\\t\",\"n\":7}\n{\"n\":null}\n");
  AlignedBytes out;
  auto writer = make_json_writer(schema);
  for (auto& b : batches) writer->write(b, out);
  CHECK(out.view() == "{\"s\":\"a\\u0000b\\t\",\"n\":7}\n{}\n");
}

TEST_CASE("json writer: timestamps as format_timestamp_iso writes them, rows sharing a second or not") {
  auto schema = schema_of("t TIMESTAMP, u TIMESTAMP");
  const std::vector<int64_t> micros = {1704190272123000, 1704190272999999, 1704190273000000, 1704190272000001,
                                       -1,               -1000000,         -999999,          0,
                                       INT64_MIN,        INT64_MAX,        253402300800000000};
  Batch batch = Batch::builder(schema, micros.size());
  for (size_t i = 0; i < micros.size(); ++i) {
    batch.columns[0]->append<int64_t>(micros[i]);
    batch.columns[1]->append<int64_t>(micros[micros.size() - 1 - i]);
  }
  batch.num_rows = micros.size();
  AlignedBytes out;
  std::string expected;
  make_json_writer(schema)->write(batch, out);
  for (size_t i = 0; i < micros.size(); ++i) {
    expected += "{\"t\":\"";
    format_timestamp_iso(micros[i], expected);
    expected += "\",\"u\":\"";
    format_timestamp_iso(micros[micros.size() - 1 - i], expected);
    expected += "\"}\n";
  }
  CHECK(out.view() == expected);
}
