// percentile_approx(x, p[, accuracy]) and median(x), as Spark computes them.
//
// percentile_approx is Spark's ApproximatePercentile: per group a
// Greenwald-Khanna quantile summary (Spark's QuantileSummaries: a head buffer
// of 50,000 values merged into the sorted samples, compressed once there are
// 10,000 samples, relative error 1/accuracy, accuracy 10000 by default). A
// query for p returns a value of the input: the first sample whose rank
// bounds contain ceil(p * n), the minimum for p <= 1/accuracy and the maximum
// for p >= 1 - 1/accuracy. Below accuracy/2 values per group nothing is ever
// merged, so the answer is exact: the smallest value whose rank is >= ceil(p*n).
// (Above that, Spark's answer also depends on how its partitions split the
// rows; runnel's stays within the same error bound.) The result keeps the
// input type (int, long, float, double, date, timestamp; converted back from
// double as Java's casts do), an array of it when p is an array; null without
// values. Memory is bounded as in Spark: between batches a group keeps only its
// compressed samples (Greenwald-Khanna: O(accuracy * log(n / accuracy))), the
// head buffer is folded in after each update.
//
// median(x) is Spark 3.4's percentile(x, 0.5): exact, a double, interpolated
// between the two middle values of an even count. Like Spark it keeps every
// value of the group.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ops/aggregate/accumulator.hpp"

namespace runnel {

constexpr int64_t kDefaultPercentileAccuracy = 10000;

// Spark's QuantileSummaries over doubles.
class QuantileSummary {
 public:
  struct Sample {
    double value;
    int64_t g;      // the minimum rank jump from the previous sample
    int64_t delta;  // the maximum span of the rank
  };
  explicit QuantileSummary(double relative_error) : relative_error_(relative_error) {}
  void insert(double x);
  // Folds the head buffer into the samples, compressing them when there are
  // too many (as insert() does when the buffer is full). The aggregate calls
  // it after each batch, as Spark compresses each partial summary it stores.
  void flush();
  // Folds the head buffer in and compresses (Spark's compress()).
  void compress();
  // REQUIRES: compressed (head buffer empty). nullopt without values.
  std::optional<double> query(double quantile) const;
  bool empty() const { return count_ == 0 && head_.empty(); }
  size_t memory_bytes() const { return samples_.capacity() * sizeof(Sample) + head_.capacity() * sizeof(double); }
  void encode(std::string& out) const;
  void decode(std::string_view& in);

 private:
  void insert_head_buffer();
  double relative_error_;
  std::vector<Sample> samples_;
  std::vector<double> head_;
  int64_t count_ = 0;  // values in samples_ (not in head_)
};

// A percentile_approx accumulator; `percentages` in [0, 1]; `as_array` when p
// was an array. nullptr when `input` is not numeric, date or timestamp.
std::unique_ptr<Accumulator> make_percentile_approx(const DataType& input, std::vector<double> percentages,
                                                    bool as_array, int64_t accuracy);
// A median accumulator, or nullptr when `input` is not numeric.
std::unique_ptr<Accumulator> make_median(const DataType& input);

}  // namespace runnel
