#include <doctest.h>

#include "sources/rate_source.hpp"

using namespace runnel;
using std::chrono::milliseconds;

namespace {

struct Rows {
  std::vector<int64_t> timestamps, values;
};

Rows read_rows(Source& src, const nlohmann::json& start, const nlohmann::json& end) {
  Rows rows;
  src.read(start, end, [&](Batch& b) {
    CHECK(b.schema->to_string() == "timestamp: timestamp, value: bigint");
    for (size_t i = 0; i < b.size(); ++i) {
      rows.timestamps.push_back(b.columns[0]->data<int64_t>()[i]);
      rows.values.push_back(b.columns[1]->data<int64_t>()[i]);
    }
  });
  return rows;
}

}  // namespace

TEST_CASE("rate source: Spark's valueAtSecond with ramp-up") {
  std::vector<int64_t> expected = {0, 2, 6, 12, 20, 30, 40};  // rows_per_second 10, ramp_up 4
  for (int64_t s = 0; s < 7; ++s) CHECK(rate_value_at_second(s, 10, 4) == expected[size_t(s)]);
  CHECK(rate_value_at_second(3, 5, 0) == 15);
}

TEST_CASE("rate source: offsets follow the clock, rows spread over each second") {
  int64_t now = 1'000'000;
  RateOptions o;
  o.rows_per_second = 4;
  o.now_ms = [&] { return now; };
  auto src = make_rate_source(o);
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
  now += 2500;
  auto first = src->latest_offset(milliseconds(0));
  REQUIRE(first);
  CHECK((*first)["seconds"] == 2);
  CHECK((*first)["value"] == 8);
  Rows rows = read_rows(*src, nullptr, *first);
  CHECK(rows.values == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  for (size_t i = 0; i < rows.timestamps.size(); ++i)
    CHECK(rows.timestamps[i] == (1'000'000 + int64_t(i) * 250) * 1000);
  now += 1000;
  auto second = src->latest_offset(milliseconds(0));
  REQUIRE(second);
  rows = read_rows(*src, *first, *second);
  CHECK(rows.values == std::vector<int64_t>{8, 9, 10, 11});
  CHECK(rows.timestamps.front() == 1'002'000'000);
  CHECK_FALSE(src->ended());
}

TEST_CASE("rate source: timestamps round like Spark when rows do not divide the interval") {
  RateOptions o;
  o.rows_per_second = 3;
  o.now_ms = [] { return int64_t{0}; };
  auto src = make_rate_source(o);
  Rows rows = read_rows(*src, nullptr, nlohmann::json{{"seconds", 1}, {"value", 3}, {"start_ms", 0}});
  CHECK(rows.timestamps == std::vector<int64_t>{0, 333'000, 667'000});
}

TEST_CASE("rate source: total_rows ends the stream") {
  int64_t now = 0;
  RateOptions o;
  o.rows_per_second = 5;
  o.total_rows = 7;
  o.now_ms = [&] { return now; };
  auto src = make_rate_source(o);
  now = 3000;
  auto end = src->latest_offset(milliseconds(0));
  REQUIRE(end);
  CHECK((*end)["value"] == 7);
  Rows rows = read_rows(*src, nullptr, *end);
  CHECK(rows.values.size() == 7);
  CHECK(rows.values.back() == 6);
  CHECK(rows.timestamps[5] == 1'000'000);  // spread as if uncapped: 5 per second
  CHECK(src->ended());
  now = 10000;
  CHECK_FALSE(src->latest_offset(milliseconds(0)));
}
