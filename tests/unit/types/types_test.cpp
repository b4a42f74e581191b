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

TEST_CASE("timestamps format the same whatever was formatted before") {
  // The date is kept formatted: the same second with the other separator, another
  // second of the day, back again, a year past 9999 and back.
  const std::vector<std::pair<int64_t, std::string>> iso = {
      {1704190272123000, "2024-01-02T10:11:12.123Z"},
      {1704190288000000, "2024-01-02T10:11:28.000Z"},
      {1704190272000001, "2024-01-02T10:11:12.000001Z"},
      {253402300800001000, "10000-01-01T00:00:00.001Z"},
      {1704190272999000, "2024-01-02T10:11:12.999Z"}};
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [micros, text] : iso) {
      std::string s;
      format_timestamp_iso(micros, s);
      CHECK(s == text);
      s.clear();
      format_timestamp_sql(micros - micros % 1000000, s);
      CHECK(s == text.substr(0, text.find('.')).replace(text.find('T'), 1, " "));
    }
  }
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

TEST_CASE("keep_rows keeps rows in place: values, nulls, strings in a fresh arena, structs, arrays") {
  auto c = Column::make(DataType::of(TypeId::Long));
  for (int i = 0; i < 200; ++i) {
    if (i % 7 == 0) c->append_null();
    else c->append<int64_t>(i);
  }
  const int64_t* before = c->data<int64_t>();
  std::vector<uint32_t> keep;
  for (uint32_t r = 0; r < 200; r += 3) keep.push_back(r);  // 0, 3, ..., 198: nulls at 0, 21, 42, ...
  c->keep_rows(keep.data(), keep.size());
  CHECK(c->data<int64_t>() == before);  // the same buffer
  REQUIRE(c->size() == keep.size());
  for (size_t k = 0; k < keep.size(); ++k) {
    CHECK(c->is_null(k) == (keep[k] % 7 == 0));
    if (c->is_valid(k)) CHECK(c->data<int64_t>()[k] == keep[k]);
  }

  auto s = Column::make(DataType::of(TypeId::String));
  for (int i = 0; i < 6; ++i) {
    if (i == 4) s->append_null();
    else s->append_string("row" + std::to_string(i));
  }
  uint32_t all[] = {0, 1, 2, 3, 4, 5};
  auto shared = s->gather(all, 6);  // shares s's arena: must stay readable
  uint32_t rows[] = {1, 4, 5};
  s->keep_rows(rows, 3);
  CHECK(s->size() == 3);
  CHECK(s->data<std::string_view>()[0] == "row1");
  CHECK(s->is_null(1));
  CHECK(s->data<std::string_view>()[2] == "row5");
  CHECK(shared->data<std::string_view>()[5] == "row5");
  CHECK(shared->data<std::string_view>()[1] == "row1");
  s->append_string("more");  // the column still appends after keeping
  CHECK(s->data<std::string_view>()[3] == "more");

  auto st = Column::make(DataType::struct_of({{"a", DataType::of(TypeId::Int)}}));
  st->children()[0]->append<int32_t>(10);
  st->children()[0]->append<int32_t>(11);
  st->children()[0]->append<int32_t>(12);
  st->resize(3);
  st->set_null(1);
  uint32_t odd[] = {1, 2};
  st->keep_rows(odd, 2);
  CHECK(st->size() == 2);
  CHECK(st->is_null(0));
  CHECK(st->is_valid(1));
  CHECK(st->children()[0]->size() == 2);
  CHECK(st->children()[0]->data<int32_t>()[1] == 12);

  auto a = Column::make(DataType::array_of(DataType::of(TypeId::Int)));
  for (int row = 0; row < 4; ++row) {  // [], [10], [20, 21], [30, 31, 32]
    for (int e = 0; e < row; ++e) a->children()[0]->append<int32_t>(row * 10 + e);
    a->end_array();
  }
  uint32_t last[] = {2, 3};
  a->keep_rows(last, 2);
  CHECK(a->size() == 2);
  CHECK(a->offsets()[0] == 0);
  CHECK(a->offsets()[1] == 2);
  CHECK(a->offsets()[2] == 5);
  CHECK(a->children()[0]->size() == 5);
  CHECK(a->children()[0]->data<int32_t>()[0] == 20);
  CHECK(a->children()[0]->data<int32_t>()[4] == 32);
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
