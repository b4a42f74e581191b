#include <doctest.h>

#include <limits>

#include "batch/batch.hpp"
#include "types/number_format.hpp"
#include "types/timestamp.hpp"

using namespace runnel;

static std::string dbl(double v) {
  std::string s;
  format_double(v, s);
  return s;
}

TEST_CASE("doubles print as Java's Double.toString") {
  CHECK(dbl(1.0) == "1.0");
  CHECK(dbl(0.1) == "0.1");
  CHECK(dbl(-2.5) == "-2.5");
  CHECK(dbl(123456.0) == "123456.0");
  CHECK(dbl(1e7) == "1.0E7");
  CHECK(dbl(1.0e10) == "1.0E10");
  CHECK(dbl(0.001) == "0.001");
  CHECK(dbl(0.0001) == "1.0E-4");
  CHECK(dbl(1.234e-5) == "1.234E-5");
  CHECK(dbl(0.0) == "0.0");
  CHECK(dbl(-0.0) == "-0.0");
  CHECK(dbl(3.3333333333333335) == "3.3333333333333335");
  CHECK(dbl(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(dbl(-std::numeric_limits<double>::infinity()) == "-Infinity");
  std::string f;
  format_float(0.1f, f);
  CHECK(f == "0.1");
}

TEST_CASE("timestamps parse ISO-8601 and Spark forms") {
  CHECK(parse_timestamp("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_timestamp("1970-01-01 00:00:01") == 1000000);
  CHECK(parse_timestamp("2024-01-02T10:11:12.123456Z") == 1704190272123456);
  CHECK(parse_timestamp("2024-01-02T10:11:12.5+01:00") == 1704186672500000);
  CHECK(parse_timestamp("2024-01-02") == 1704153600000000);
  CHECK(parse_timestamp("1969-12-31T23:59:59Z") == -1000000);
  CHECK_FALSE(parse_timestamp("2024-13-01").has_value());
  CHECK_FALSE(parse_timestamp("2023-02-29").has_value());
  CHECK_FALSE(parse_timestamp("hello").has_value());
  CHECK(parse_date("2024-03-01") == 19783);
}

TEST_CASE("timestamps format as Spark writes them") {
  std::string s;
  format_timestamp_iso(1704190272123000, s);
  CHECK(s == "2024-01-02T10:11:12.123Z");
  s.clear();
  format_timestamp_iso(-1, s);
  CHECK(s == "1969-12-31T23:59:59.999999Z");
  s.clear();
  format_timestamp_sql(1704190272100000, s);
  CHECK(s == "2024-01-02 10:11:12.1");
  s.clear();
  format_timestamp_sql(0, s);
  CHECK(s == "1970-01-01 00:00:00");
}

TEST_CASE("columns track nulls in a bitmap") {
  auto c = Column::make(DataType::of(TypeId::Long));
  for (int i = 0; i < 130; ++i) {
    if (i % 3 == 0) c->append_null();
    else c->append<int64_t>(i);
  }
  CHECK(c->size() == 130);
  CHECK(c->null_count() == 44);
  CHECK(c->is_null(0));
  CHECK(c->is_valid(1));
  CHECK(c->is_null(129));
  CHECK(c->data<int64_t>()[128] == 128);
  uint32_t sel[] = {0, 1, 128, 129};
  auto g = c->gather(sel, 4);
  CHECK(g->is_null(0));
  CHECK(g->data<int64_t>()[2] == 128);
  CHECK(g->null_count() == 2);
}

TEST_CASE("array and struct columns append rows") {
  auto a = Column::make(DataType::array_of(DataType::of(TypeId::String)));
  a->children()[0]->append_string("x");
  a->children()[0]->append_string("y");
  a->end_array();
  a->append_null();
  a->end_array();
  CHECK(a->size() == 3);
  CHECK(a->offsets()[1] == 2);
  CHECK(a->offsets()[3] == 2);
  CHECK(a->is_null(1));
  auto s = Column::make(DataType::struct_of({{"a", DataType::of(TypeId::Int)}}));
  s->append_null();
  CHECK(s->size() == 1);
  CHECK(s->children()[0]->size() == 1);
}

TEST_CASE("the canonical ISO form and the general parser agree") {
  for (const char* text : {"2024-01-02T10:11:12Z", "2024-01-02T10:11:12.1Z", "2024-01-02 10:11:12.123456Z",
                           "2024-02-29T23:59:59.999999999Z", "1969-12-31T23:59:59.5Z"}) {
    std::string with_offset(text);
    with_offset.back() = '+';
    with_offset += "00:00";
    CHECK(parse_timestamp(text) == parse_timestamp(with_offset));
  }
  CHECK_FALSE(parse_timestamp("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_timestamp("2024-01-02T10:11:12.Z").has_value());
  CHECK_FALSE(parse_timestamp("2024-01-02T24:00:00Z").has_value());
}
