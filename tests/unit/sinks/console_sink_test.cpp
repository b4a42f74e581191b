#include <doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include "sinks/console_sink.hpp"

using namespace runnel;

namespace {

// Runs one batch through a console sink writing to a pipe; returns the output.
std::string print_batch(const Batch& batch, int64_t batch_id, ConsoleOptions o = {}) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  o.fd = fds[1];
  auto sink = make_console_sink(batch.schema, o);
  sink->begin_batch(batch_id);
  sink->write(batch);
  sink->commit(batch_id);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  ::close(fds[0]);
  return out;
}

SchemaRef schema_of(std::vector<Field> fields) { return std::make_shared<const Schema>(Schema{std::move(fields)}); }

const std::string kBanner0 =
    "-------------------------------------------\n"
    "Batch: 0\n"
    "-------------------------------------------\n";

}  // namespace

TEST_CASE("console sink: numbers, strings, nulls, truncation, as Spark prints them") {
  auto schema = schema_of({{"value", DataType::of(TypeId::Long)}, {"name", DataType::of(TypeId::String)}});
  Batch b = Batch::builder(schema, 4);
  b.columns[0]->append<int64_t>(1);
  b.columns[1]->append_string("a");
  b.columns[0]->append_null();
  b.columns[1]->append_string("a long string of more than twenty chars");
  b.columns[0]->append<int64_t>(-12345);
  b.columns[1]->append_null();
  b.num_rows = 3;
  CHECK(print_batch(b, 0) == kBanner0 +
                                 "+------+--------------------+\n"
                                 "| value|                name|\n"
                                 "+------+--------------------+\n"
                                 "|     1|                   a|\n"
                                 "|  NULL|a long string of ...|\n"
                                 "|-12345|                NULL|\n"
                                 "+------+--------------------+\n"
                                 "\n");
  ConsoleOptions whole;
  whole.truncate = false;
  CHECK(print_batch(b, 0, whole) == kBanner0 +
                                        "+------+---------------------------------------+\n"
                                        "|value |name                                   |\n"
                                        "+------+---------------------------------------+\n"
                                        "|1     |a                                      |\n"
                                        "|NULL  |a long string of more than twenty chars|\n"
                                        "|-12345|NULL                                   |\n"
                                        "+------+---------------------------------------+\n"
                                        "\n");
}

TEST_CASE("console sink: an empty batch prints the header and an empty table") {
  auto schema = schema_of({{"k", DataType::of(TypeId::String)}, {"count", DataType::of(TypeId::Long)}});
  Batch b = Batch::builder(schema, 0);
  CHECK(print_batch(b, 7) ==
        "-------------------------------------------\n"
        "Batch: 7\n"
        "-------------------------------------------\n"
        "+---+-----+\n"
        "|  k|count|\n"
        "+---+-----+\n"
        "+---+-----+\n"
        "\n");
}

TEST_CASE("console sink: more rows than num_rows") {
  auto schema = schema_of({{"x", DataType::of(TypeId::Int)}});
  Batch b = Batch::builder(schema, 3);
  for (int32_t v : {1, 2, 3}) b.columns[0]->append<int32_t>(v);
  b.num_rows = 3;
  ConsoleOptions two;
  two.num_rows = 2;
  CHECK(print_batch(b, 0, two) == kBanner0 +
                                      "+---+\n"
                                      "|  x|\n"
                                      "+---+\n"
                                      "|  1|\n"
                                      "|  2|\n"
                                      "+---+\n"
                                      "only showing top 2 rows\n"
                                      "\n");
  ConsoleOptions one;
  one.num_rows = 1;
  CHECK(print_batch(b, 0, one).find("only showing top 1 row\n") != std::string::npos);
  ConsoleOptions three;
  three.num_rows = 3;
  CHECK(print_batch(b, 0, three).find("only showing") == std::string::npos);
}

TEST_CASE("console sink: timestamps, booleans, binary, structs, arrays, wide characters, selection") {
  DataType window = DataType::struct_of({{"start", DataType::of(TypeId::Timestamp)}, {"end", DataType::of(TypeId::Timestamp)}});
  auto schema = schema_of({{"w", window},
                           {"tags", DataType::array_of(DataType::of(TypeId::String))},
                           {"ok", DataType::of(TypeId::Boolean)},
                           {"bin", DataType::of(TypeId::Binary)},
                           {"s", DataType::of(TypeId::String)}});
  Batch b = Batch::builder(schema, 2);
  for (int row = 0; row < 2; ++row) {
    auto& w = *b.columns[0];
    w.children()[0]->append<int64_t>(1704190272000000);  // 2024-01-02 10:11:12
    w.children()[1]->append<int64_t>(1704190332500000);  // 2024-01-02 10:12:12.5
    auto& tags = *b.columns[1];
    tags.children()[0]->append_string("a");
    tags.children()[0]->append_null();
    tags.end_array();
    b.columns[2]->append<uint8_t>(row == 1);
    b.columns[3]->append<std::string_view>(b.columns[3]->arena().copy("\x1a\xc0"));
    b.columns[4]->append_string(row == 1 ? "日本" : "x\ty");
  }
  b.columns[0]->resize(2);  // the struct's rows are its children's
  b.num_rows = 2;
  b.sel = std::make_shared<const std::vector<uint32_t>>(std::vector<uint32_t>{1});
  CHECK(print_batch(b, 0) == kBanner0 +
                                 "+--------------------+---------+----+-------+----+\n"
                                 "|                   w|     tags|  ok|    bin|   s|\n"
                                 "+--------------------+---------+----+-------+----+\n"
                                 "|{2024-01-02 10:11...|[a, NULL]|true|[1A C0]|日本|\n"
                                 "+--------------------+---------+----+-------+----+\n"
                                 "\n");
}

TEST_CASE("console sink: meta characters are escaped") {
  CHECK(show_string({"a"}, {{"x\ty\nz"}}, 20, true) ==
        "+-------+\n"
        "|      a|\n"
        "+-------+\n"
        "|x\\ty\\nz|\n"
        "+-------+\n");
}
