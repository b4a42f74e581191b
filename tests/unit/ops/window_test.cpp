#include <doctest.h>

#include <algorithm>
#include <vector>

#include "base/error.hpp"
#include "ops/aggregate/window.hpp"

using namespace runnel;

namespace {

constexpr int64_t kMinute = 60'000'000;

ColumnRef timestamps(const std::vector<int64_t>& values) {
  auto c = Column::make(DataType::of(TypeId::Timestamp));
  for (int64_t v : values) c->append(v);
  return c;
}

// Every window (start) each row falls in, over all passes, as (row, start) pairs.
std::vector<std::pair<uint32_t, int64_t>> windows_of(const WindowSpec& w, const Column& ts) {
  std::vector<std::pair<uint32_t, int64_t>> out;
  std::vector<int64_t> starts(ts.size());
  std::vector<uint32_t> rows(ts.size());
  for (size_t pass = 0; pass < w.passes(); ++pass) {
    size_t n = w.assign(ts, ts.size(), pass, starts.data(), rows.data());
    for (size_t i = 0; i < n; ++i) out.emplace_back(rows[i], starts[rows[i]]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("tumbling windows: start inclusive, end exclusive") {
  WindowSpec w{10 * kMinute, 10 * kMinute, 0};
  CHECK(w.passes() == 1);
  auto ts = timestamps({0, 10 * kMinute - 1, 10 * kMinute, 17 * kMinute});
  auto got = windows_of(w, *ts);
  std::vector<std::pair<uint32_t, int64_t>> want = {{0, 0}, {1, 0}, {2, 10 * kMinute}, {3, 10 * kMinute}};
  CHECK(got == want);
}

TEST_CASE("sliding windows: a row in every window that covers it") {
  WindowSpec w{10 * kMinute, 5 * kMinute, 0};
  CHECK(w.passes() == 2);
  auto ts = timestamps({7 * kMinute, 5 * kMinute});
  auto got = windows_of(w, *ts);
  std::vector<std::pair<uint32_t, int64_t>> want = {
      {0, 0}, {0, 5 * kMinute}, {1, 0}, {1, 5 * kMinute}};  // 12:05 is not in [11:55, 12:05)
  CHECK(got == want);
}

TEST_CASE("sliding windows whose size is not a multiple of the slide") {
  WindowSpec w{10 * kMinute, 3 * kMinute, 0};
  CHECK(w.passes() == 4);
  auto ts = timestamps({9 * kMinute});
  auto got = windows_of(w, *ts);
  // starts 0, 3, 6, 9 minutes cover 9:00; -3 would end at 7:00.
  std::vector<std::pair<uint32_t, int64_t>> want = {{0, 0}, {0, 3 * kMinute}, {0, 6 * kMinute}, {0, 9 * kMinute}};
  CHECK(got == want);
}

TEST_CASE("negative timestamps floor to the window before the epoch") {
  WindowSpec w{10 * kMinute, 10 * kMinute, 0};
  auto ts = timestamps({-1, -10 * kMinute, -10 * kMinute - 1});
  auto got = windows_of(w, *ts);
  std::vector<std::pair<uint32_t, int64_t>> want = {{0, -10 * kMinute}, {1, -10 * kMinute}, {2, -20 * kMinute}};
  CHECK(got == want);
}

TEST_CASE("a start offset shifts the windows") {
  WindowSpec w{10 * kMinute, 10 * kMinute, 2 * kMinute};
  auto ts = timestamps({1 * kMinute, 2 * kMinute, -9 * kMinute});
  auto got = windows_of(w, *ts);
  std::vector<std::pair<uint32_t, int64_t>> want = {{0, -8 * kMinute}, {1, 2 * kMinute}, {2, -18 * kMinute}};
  CHECK(got == want);
}

TEST_CASE("null and out-of-range timestamps get no window") {
  WindowSpec w{10 * kMinute, 5 * kMinute, 0};
  auto ts = timestamps({3 * kMinute, 0, INT64_MIN, INT64_MAX});
  ts->set_null(1);
  auto got = windows_of(w, *ts);
  std::vector<std::pair<uint32_t, int64_t>> want = {{0, -5 * kMinute}, {0, 0}};
  CHECK(got == want);
}

TEST_CASE("invalid window durations are config errors with Spark's reasons") {
  CHECK_THROWS_WITH_AS((WindowSpec{0, 0, 0}.validate()), doctest::Contains("must be greater than 0"), Error);
  CHECK_THROWS_WITH_AS((WindowSpec{kMinute, 2 * kMinute, 0}.validate()),
                       doctest::Contains("must be less than or equal to the windowDuration"), Error);
  CHECK_THROWS_WITH_AS((WindowSpec{kMinute, kMinute, -kMinute}.validate()),
                       doctest::Contains("The absolute value of start time"), Error);
  CHECK_NOTHROW((WindowSpec{kMinute, kMinute, kMinute / 2}.validate()));
}
