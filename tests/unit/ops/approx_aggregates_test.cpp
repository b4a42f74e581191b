// approx_count_distinct (Spark's HyperLogLog++), percentile_approx (Spark's
// GK QuantileSummaries) and median (Spark's exact percentile 0.5).
//
// Where the expected values come from:
// - XXH64: the vectors of Spark's XXH64Suite, and the example of Spark's
//   xxhash64 documentation, xxhash64('Spark', array(123), 2) =
//   5602566077635097486 (seed 42, chained: string bytes, then ints).
// - Small cardinalities: linear counting with few occupied registers returns
//   the exact count (Spark's documentation: approx_count_distinct over
//   1, 1, 2, 2, 3 is 3; HyperLogLogPlusPlusSuite: 0.0 and -0.0, or two NaNs,
//   count once; nulls only give 0).
// - Larger cardinalities: worked out with an independent re-implementation
//   of the algorithm in Python (XXH64 checked against the same Spark vectors,
//   Spark's formulas for p, linear counting, the k = 6 bias interpolation
//   over Spark's tables). Each case names the branch of HLL++ it exercises.
// - percentile_approx: Spark's ApproximatePercentileQuerySuite (1 to 1000 ->
//   250, 500, 750, 1, 1000; 1 to 10 with array(0.01, 0.1, 0.11) -> 1, 1, 2).
// - median: Spark's Percentile, position (n - 1) * 0.5 interpolated.
#include <doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "ops/aggregate/accumulator.hpp"
#include "ops/aggregate/hll.hpp"
#include "ops/aggregate/percentile.hpp"

using namespace runnel;

namespace {

std::vector<uint32_t> iota(size_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

// Folds every row of `values` into group 0 and returns the result of group 0.
ColumnRef fold_one(Accumulator& acc, const Column& values) {
  acc.resize(1);
  std::vector<uint32_t> rows = iota(values.size()), groups(values.size(), 0);
  acc.update(&values, rows.data(), groups.data(), values.size());
  uint32_t g = 0;
  return acc.result(&g, 1);
}

template <class T>
ColumnRef column(TypeId type, const std::vector<std::optional<T>>& values) {
  auto c = Column::make(DataType::of(type));
  for (auto& v : values) {
    if (!v) c->append_null();
    else if constexpr (std::is_same_v<T, std::string>) c->append_string(*v);
    else c->append<T>(*v);
  }
  return c;
}

template <class T>
ColumnRef range(TypeId type, T from, T to) {  // [from, to]
  auto c = Column::make(DataType::of(type));
  for (T v = from; v <= to; ++v) c->append<T>(v);
  return c;
}

int64_t approx_count_distinct(const Column& values, double rsd = hll::kDefaultRelativeSd) {
  std::string error;
  auto acc = make_approx_count_distinct(values.type(), hll::precision_for(rsd, error));
  REQUIRE(acc);
  ColumnRef out = fold_one(*acc, values);
  REQUIRE(out->type().id == TypeId::Long);
  return out->data<int64_t>()[0];
}

// Spark's XXH64Suite test buffer: 101 bytes from a squared-seed generator.
std::vector<unsigned char> xxh64_suite_buffer() {
  std::vector<unsigned char> buffer(101);
  uint64_t seed = 2654435761ULL;
  for (auto& b : buffer) {
    b = static_cast<unsigned char>(seed >> 24);
    seed *= seed;
  }
  return buffer;
}

}  // namespace

TEST_CASE("XXH64 agrees with Spark's XXH64Suite and its xxhash64 documentation") {
  const auto buffer = xxh64_suite_buffer();
  const uint64_t prime = 2654435761ULL;
  CHECK(hll::xxhash64(buffer.data(), 0, 0) == 0xEF46DB3751D8E999ULL);
  CHECK(hll::xxhash64(buffer.data(), 0, prime) == 0xAC75FDA2929B17EFULL);
  CHECK(hll::xxhash64(buffer.data(), 1, 0) == 0x4FCE394CC88952D8ULL);
  CHECK(hll::xxhash64(buffer.data(), 1, prime) == 0x739840CB819FA723ULL);
  CHECK(hll::xxhash64(buffer.data(), 14, 0) == 0xCFFA8DB881BC3A3DULL);
  CHECK(hll::xxhash64(buffer.data(), 14, prime) == 0x5B9611585EFCC9CBULL);
  CHECK(hll::xxhash64(buffer.data(), 101, 0) == 0x0EAB543384F878ADULL);
  CHECK(hll::xxhash64(buffer.data(), 101, prime) == 0xCAA65939306F1E21ULL);
  // hashInt / hashLong of the buffer's first 4 / 8 bytes equal the byte hashes.
  CHECK(hll::xxhash64_int(0x4B1FFF9E, 0) == 0x9256E58AA397AEF1ULL);
  CHECK(hll::xxhash64_int(0x4B1FFF9E, prime) == 0x9D5FFDFB928AB4BULL);
  CHECK(hll::xxhash64_long(static_cast<int64_t>(0xDD2F535E4B1FFF9EULL), 0) == 0xF74CB1451B32B8CFULL);
  CHECK(hll::xxhash64_long(static_cast<int64_t>(0xDD2F535E4B1FFF9EULL), prime) == 0x9C44B77FBCC302C5ULL);
  // SELECT xxhash64('Spark', array(123), 2) = 5602566077635097486
  uint64_t h = hll::xxhash64("Spark", 5, 42);
  h = hll::xxhash64_int(123, h);
  h = hll::xxhash64_int(2, h);
  CHECK(static_cast<int64_t>(h) == INT64_C(5602566077635097486));
}

TEST_CASE("approx_count_distinct: p from Spark's formula; rsd above 39% is rejected with Spark's words") {
  std::string error;
  CHECK(hll::precision_for(0.05, error) == 9);
  CHECK(hll::precision_for(0.01, error) == 14);
  CHECK(hll::precision_for(0.39, error) == 4);
  CHECK(error.empty());
  CHECK(hll::precision_for(0.4, error) == 0);
  CHECK(error.find("HLL++ requires at least 4 bits for addressing") != std::string::npos);
  error.clear();
  CHECK(hll::precision_for(0.0, error) == 0);
  CHECK(!error.empty());
  error.clear();
  CHECK(hll::precision_for(-1.0, error) == 0);
  CHECK(hll::precision_for(std::nan(""), error) == 0);
  CHECK(hll::precision_for(1e-9, error) == 0);  // 2^60 registers: refused instead of exhausting memory
}

TEST_CASE("approx_count_distinct: small cardinalities are exact; nulls skipped; bigint, 0 without values") {
  CHECK(approx_count_distinct(*column<int32_t>(TypeId::Int, {1, 1, 2, 2, 3})) == 3);  // Spark's docs example
  CHECK(approx_count_distinct(*column<int32_t>(TypeId::Int, {std::nullopt, std::nullopt})) == 0);
  CHECK(approx_count_distinct(*column<int64_t>(TypeId::Long, {})) == 0);
  CHECK(approx_count_distinct(*range<int32_t>(TypeId::Int, 0, 4)) == 5);
  CHECK(approx_count_distinct(*column<std::string>(TypeId::String, {"a", "b", "a", "", std::nullopt})) == 3);
  CHECK(approx_count_distinct(*column<uint8_t>(TypeId::Boolean, {1, 0, 1})) == 2);
  // SPARK-32110: 0.0 and -0.0 are one value, and so is every NaN.
  const double special_nan = std::bit_cast<double>(UINT64_C(0x7ff1234512345678));
  CHECK(approx_count_distinct(*column<double>(TypeId::Double, {0.0, -0.0})) == 1);
  CHECK(approx_count_distinct(*column<double>(TypeId::Double, {std::nan(""), special_nan})) == 1);
  CHECK(approx_count_distinct(*column<float>(TypeId::Float, {0.0f, -0.0f, 1.5f})) == 2);
}

TEST_CASE("approx_count_distinct: Spark's estimates on every branch of HLL++ (p = 9 unless said)") {
  // Linear counting (V = 69 empty registers, E = 1060.8 <= 2.5m): round(512 ln(512/69)).
  CHECK(approx_count_distinct(*range<int32_t>(TypeId::Int, 0, 999)) == 1026);
  // Bias-corrected raw estimate (V = 10, E = 2021.27 between 2.5m and 5m, H > 400).
  CHECK(approx_count_distinct(*range<int32_t>(TypeId::Int, 0, 1999)) == 2023);
  // Raw estimate without correction (V = 0, E >= 5m); longs hash as 8 bytes.
  CHECK(approx_count_distinct(*range<int64_t>(TypeId::Long, 0, 99999)) == 95546);
  // p = 14 (rsd 0.01): V = 29, bias-corrected.
  CHECK(approx_count_distinct(*range<int64_t>(TypeId::Long, 0, 99999), 0.01) == 100425);
  // Strings hash as their UTF-8 bytes.
  auto users = Column::make(DataType::of(TypeId::String));
  for (int i = 0; i < 5000; ++i) users->append_string("user-" + std::to_string(i));
  CHECK(approx_count_distinct(*users) == 4985);
  // Dates hash as ints, timestamps as longs: the same registers as int/long input.
  auto dates = Column::make(DataType::of(TypeId::Date));
  for (int32_t i = 0; i <= 999; ++i) dates->append<int32_t>(i);
  CHECK(approx_count_distinct(*dates) == 1026);
}

TEST_CASE("approx_count_distinct: groups are independent, survive encode/decode and compaction") {
  std::string error;
  auto acc = make_approx_count_distinct(DataType::of(TypeId::Long), hll::precision_for(0.05, error));
  acc->resize(3);
  auto values = range<int64_t>(TypeId::Long, 0, 2999);
  std::vector<uint32_t> rows = iota(3000), groups(3000);
  for (size_t i = 0; i < 3000; ++i) groups[i] = i < 10 ? 0 : i < 20 ? 1 : 2;
  acc->update(values.get(), rows.data(), groups.data(), 3000);
  std::vector<uint32_t> ids = iota(3);
  ColumnRef before = acc->result(ids.data(), 3);
  CHECK(before->data<int64_t>()[0] == 10);
  CHECK(before->data<int64_t>()[1] == 10);
  std::string state;
  acc->encode(2, state);
  auto restored = make_approx_count_distinct(DataType::of(TypeId::Long), 9);
  restored->resize(1);
  std::string_view in = state;
  restored->decode(0, in);
  CHECK(in.empty());
  uint32_t zero = 0;
  CHECK(restored->result(&zero, 1)->data<int64_t>()[0] == before->data<int64_t>()[2]);
  acc->compact({2});
  CHECK(acc->result(&zero, 1)->data<int64_t>()[0] == before->data<int64_t>()[2]);
  std::string_view truncated = std::string_view(state).substr(0, 10);
  CHECK_THROWS(restored->decode(0, truncated));
}

TEST_CASE("percentile_approx: exact below accuracy/2 values: the smallest value of rank >= ceil(p * n)") {
  auto percentiles = [](const Column& values, std::vector<double> ps, int64_t accuracy = kDefaultPercentileAccuracy) {
    auto acc = make_percentile_approx(values.type(), std::move(ps), true, accuracy);
    REQUIRE(acc);
    return fold_one(*acc, values);
  };
  auto thousand = range<int32_t>(TypeId::Int, 1, 1000);
  ColumnRef out = percentiles(*thousand, {0.25, 0.5, 0.75, 0.0, 1.0});
  REQUIRE(out->type() == DataType::array_of(DataType::of(TypeId::Int)));
  const Column& items = *out->children()[0];
  CHECK(std::vector<int32_t>(items.data<int32_t>(), items.data<int32_t>() + 5) == std::vector<int32_t>{250, 500, 750, 1, 1000});
  ColumnRef small = percentiles(*range<int32_t>(TypeId::Int, 1, 10), {0.01, 0.1, 0.11});
  CHECK(std::vector<int32_t>(small->children()[0]->data<int32_t>(), small->children()[0]->data<int32_t>() + 3) ==
        std::vector<int32_t>{1, 1, 2});
  // A single percentage gives the input type itself; nulls are skipped; no values -> null.
  auto one = make_percentile_approx(DataType::of(TypeId::Double), {0.5}, false, 10000);
  ColumnRef median_ish = fold_one(*one, *column<double>(TypeId::Double, {4.0, std::nullopt, 1.0, 3.0, 2.0}));
  CHECK(median_ish->type().id == TypeId::Double);
  CHECK(median_ish->data<double>()[0] == 2.0);
  auto none = make_percentile_approx(DataType::of(TypeId::Long), {0.5}, false, 10000);
  CHECK(fold_one(*none, *column<int64_t>(TypeId::Long, {std::nullopt}))->is_null(0));
  auto none_array = make_percentile_approx(DataType::of(TypeId::Long), {0.5}, true, 10000);
  CHECK(fold_one(*none_array, *column<int64_t>(TypeId::Long, {}))->is_null(0));
  CHECK(make_percentile_approx(DataType::of(TypeId::String), {0.5}, false, 10000) == nullptr);
}

TEST_CASE("percentile_approx: compressed summaries stay within the relative error and keep fewer samples than values") {
  // 200,000 values, accuracy 100: four head-buffer flushes, compression on each.
  QuantileSummary summary(1.0 / 100);
  const int n = 200000;
  for (int i = 0; i < n; ++i) summary.insert(static_cast<double>((i * 7919) % n));  // a permutation of 0..n-1
  summary.compress();
  for (double p : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double answer = *summary.query(p);
    CHECK(std::abs(answer - p * n) <= 0.01 * n);  // rank error at most relativeError * n
  }
  // Through the accumulator the head buffer is folded in after each update: only samples are kept.
  auto acc = make_percentile_approx(DataType::of(TypeId::Int), {0.5}, false, 100);
  auto values = Column::make(DataType::of(TypeId::Int));
  for (int i = 0; i < n; ++i) values->append<int32_t>((i * 7919) % n);
  const int32_t p50 = fold_one(*acc, *values)->data<int32_t>()[0];
  CHECK(std::abs(p50 - n / 2) <= n / 100);
  CHECK(acc->memory_bytes() < n * sizeof(double) / 2);  // compressed samples, far fewer than the values
  std::string state;
  summary.encode(state);
  QuantileSummary restored(1.0 / 100);
  std::string_view in = state;
  restored.decode(in);
  CHECK(restored.query(0.5) == summary.query(0.5));
}

TEST_CASE("median: Spark's exact percentile 0.5, a double interpolated between the middle values") {
  auto median = [](const Column& values) {
    auto acc = make_accumulator(AggregateKind::Median, values.type());
    REQUIRE(acc);
    return fold_one(*acc, values);
  };
  CHECK(median(*column<int32_t>(TypeId::Int, {4, 1, 2, 4}))->data<double>()[0] == 3.0);
  CHECK(median(*column<int32_t>(TypeId::Int, {3, std::nullopt, 1, 2}))->data<double>()[0] == 2.0);
  CHECK(median(*column<int64_t>(TypeId::Long, {1, 2}))->data<double>()[0] == 1.5);
  CHECK(median(*column<double>(TypeId::Double, {1.0, std::nan("")}))->data<double>()[0] != 0.0);  // NaN sorts last
  CHECK(std::isnan(median(*column<double>(TypeId::Double, {1.0, std::nan("")}))->data<double>()[0]));
  CHECK(median(*column<int32_t>(TypeId::Int, {std::nullopt}))->is_null(0));
  CHECK(median(*column<int32_t>(TypeId::Int, {7}))->type().id == TypeId::Double);
  CHECK(make_accumulator(AggregateKind::Median, DataType::of(TypeId::String)) == nullptr);
}

TEST_CASE("Spark's names for the new aggregates") {
  CHECK(aggregate_kind("approx_count_distinct") == AggregateKind::ApproxCountDistinct);
  CHECK(aggregate_kind("percentile_approx") == AggregateKind::PercentileApprox);
  CHECK(aggregate_kind("approx_percentile") == AggregateKind::PercentileApprox);
  CHECK(aggregate_kind("median") == AggregateKind::Median);
}
