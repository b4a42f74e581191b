#include "ops/aggregate/percentile.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "state/codec.hpp"
#include "state/group_table.hpp"

namespace runnel {

namespace {

constexpr size_t kHeadSize = 50000;           // Spark's QuantileSummaries.defaultHeadSize
constexpr size_t kCompressThreshold = 10000;  // Spark's defaultCompressThreshold

// java.lang.Double.compare as a less-than: -0.0 before 0.0, NaN after everything.
bool java_less(double a, double b) {
  if (a < b) return true;
  if (a > b) return false;
  auto bits = [](double x) { return std::isnan(x) ? INT64_C(0x7ff8000000000000) : std::bit_cast<int64_t>(x); };
  return bits(a) < bits(b);
}

// Spark's compressImmut: merges neighbouring samples from the right while
// their combined rank span stays under the threshold; keeps the extremes.
std::vector<QuantileSummary::Sample> compress_samples(const std::vector<QuantileSummary::Sample>& samples,
                                                      double merge_threshold) {
  if (samples.empty()) return {};
  std::vector<QuantileSummary::Sample> reversed;
  QuantileSummary::Sample head = samples.back();
  for (auto i = static_cast<ptrdiff_t>(samples.size()) - 2; i >= 1; --i) {  // never the first or last
    const QuantileSummary::Sample& sample = samples[static_cast<size_t>(i)];
    if (static_cast<double>(sample.g + head.g + head.delta) < merge_threshold) {
      head.g += sample.g;
    } else {
      reversed.push_back(head);
      head = sample;
    }
  }
  reversed.push_back(head);
  if (samples.size() > 1 && samples.front().value <= head.value) reversed.push_back(samples.front());
  return {reversed.rbegin(), reversed.rend()};
}

// Java's (int)/(long)/(float) casts of a double: NaN to 0, saturating.
template <class T>
T from_double(double d) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(d);
  } else {
    if (std::isnan(d)) return 0;
    if (d <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(d);
  }
}

template <class T>
class PercentileApproxAccumulator final : public Accumulator {
 public:
  PercentileApproxAccumulator(const DataType& input, std::vector<double> percentages, bool as_array, int64_t accuracy)
      : type_(as_array ? DataType::array_of(input) : input),
        element_(input),
        percentages_(std::move(percentages)),
        relative_error_(1.0 / static_cast<double>(accuracy)) {}
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override { summaries_.resize(groups, QuantileSummary(relative_error_)); }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    for_each_value<T>(*values, rows, groups, n,
                      [&](uint32_t g, T value) { summaries_[g].insert(static_cast<double>(value)); });
    for (size_t i = 0; i < n; ++i) summaries_[groups[i]].flush();  // a no-op once a group is flushed
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    const bool as_array = type_.id == TypeId::Array;
    auto out = Column::make(type_, n);
    if (!as_array) out->resize(n);
    std::vector<T> answers(percentages_.size());
    for (size_t i = 0; i < n; ++i) {
      QuantileSummary summary = summaries_[groups[i]];
      if (summary.empty()) {
        as_array ? out->append_null() : out->set_null(i);
        continue;
      }
      summary.compress();
      for (size_t k = 0; k < percentages_.size(); ++k) answers[k] = from_double<T>(*summary.query(percentages_[k]));
      if (!as_array) {
        out->data<T>()[i] = answers[0];
        continue;
      }
      for (const T& answer : answers) out->children()[0]->append<T>(answer);
      out->end_array();
    }
    return out;
  }
  void compact(const std::vector<uint32_t>& kept) override {
    keep_only(summaries_, kept);
  }
  size_t memory_bytes() const override {
    size_t bytes = summaries_.capacity() * sizeof(QuantileSummary);
    for (const auto& s : summaries_) bytes += s.memory_bytes();
    return bytes;
  }
  void encode(uint32_t g, std::string& out) const override { summaries_[g].encode(out); }
  void decode(uint32_t g, std::string_view& in) override { summaries_[g].decode(in); }

 private:
  DataType type_, element_;
  std::vector<double> percentages_;
  double relative_error_;
  std::vector<QuantileSummary> summaries_;
};

// Spark's Percentile at 0.5: the values sorted, the position (n - 1) / 2,
// interpolated linearly between its floor and ceiling.
double exact_median(std::vector<double>& values) {
  std::sort(values.begin(), values.end(), [](double a, double b) {
    return !std::isnan(a) && (std::isnan(b) || a < b);  // Spark orders NaN last
  });
  const double position = static_cast<double>(values.size() - 1) * 0.5;
  const double lower = std::floor(position), higher = std::ceil(position);
  const double low = values[static_cast<size_t>(lower)];
  if (higher == lower) return low;
  const double high = values[static_cast<size_t>(higher)];
  if (high == low) return low;
  return (higher - position) * low + (position - lower) * high;
}

template <class T>
class MedianAccumulator final : public Accumulator {
 public:
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override { values_.resize(groups); }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    for_each_value<T>(*values, rows, groups, n,
                      [&](uint32_t g, T value) { values_[g].push_back(static_cast<double>(value)); });
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    auto out = Column::make(type_, n);
    out->resize(n);
    for (size_t i = 0; i < n; ++i) {
      std::vector<double> values = values_[groups[i]];
      if (values.empty()) out->set_null(i);
      else out->data<double>()[i] = exact_median(values);
    }
    return out;
  }
  // The median keeps every value: merging moves src's onto dst's (the merged-away group is dropped).
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      auto& from = values_[src[i]];
      values_[dst[i]].insert(values_[dst[i]].end(), from.begin(), from.end());
      std::vector<double>().swap(from);
    }
  }
  void compact(const std::vector<uint32_t>& kept) override {
    keep_only(values_, kept);
  }
  size_t memory_bytes() const override {
    size_t bytes = values_.capacity() * sizeof(std::vector<double>);
    for (const auto& v : values_) bytes += v.capacity() * sizeof(double);
    return bytes;
  }
  void encode(uint32_t g, std::string& out) const override {
    codec::put<uint64_t>(out, values_[g].size());
    for (double v : values_[g]) codec::put(out, v);
  }
  void decode(uint32_t g, std::string_view& in) override {
    const auto count = codec::get<uint64_t>(in);
    if (count > in.size() / sizeof(double)) fail(ErrorKind::Internal, "corrupt state value: truncated median values");
    values_[g].resize(count);
    for (double& v : values_[g]) v = codec::get<double>(in);
  }

 private:
  DataType type_ = DataType::of(TypeId::Double);
  std::vector<std::vector<double>> values_;
};

}  // namespace

void QuantileSummary::insert(double x) {
  head_.push_back(x);
  if (head_.size() < kHeadSize) return;
  insert_head_buffer();
  if (samples_.size() >= kCompressThreshold) compress();
}

void QuantileSummary::flush() {
  if (!head_.empty()) {
    insert_head_buffer();
    if (samples_.size() >= kCompressThreshold) compress();
  }
  if (head_.capacity()) head_ = {};  // release the buffer: groups may be many
}

// Spark's withHeadBufferInserted: merges the sorted head buffer into the
// samples; a new sample's delta is floor(2 * error * count) except at the ends.
void QuantileSummary::insert_head_buffer() {
  if (head_.empty()) return;
  std::sort(head_.begin(), head_.end(), java_less);
  std::vector<Sample> merged;
  merged.reserve(samples_.size() + head_.size());
  size_t sample = 0;
  for (size_t i = 0; i < head_.size(); ++i) {
    const double value = head_[i];
    while (sample < samples_.size() && samples_[sample].value <= value) merged.push_back(samples_[sample++]);
    ++count_;
    const bool at_end = merged.empty() || (sample == samples_.size() && i == head_.size() - 1);
    const auto delta = at_end ? 0 : static_cast<int64_t>(std::floor(2 * relative_error_ * static_cast<double>(count_)));
    merged.push_back({value, 1, delta});
  }
  merged.insert(merged.end(), samples_.begin() + static_cast<ptrdiff_t>(sample), samples_.end());
  samples_ = std::move(merged);
  head_.clear();
}

void QuantileSummary::compress() {
  insert_head_buffer();
  samples_ = compress_samples(samples_, 2 * relative_error_ * static_cast<double>(count_));
}

std::optional<double> QuantileSummary::query(double quantile) const {
  if (samples_.empty()) return std::nullopt;
  if (quantile <= relative_error_) return samples_.front().value;
  if (quantile >= 1 - relative_error_) return samples_.back().value;
  const auto rank = static_cast<int64_t>(std::ceil(quantile * static_cast<double>(count_)));
  int64_t widest = 0;
  for (const Sample& s : samples_) widest = std::max(widest, s.delta + s.g);
  const int64_t target_error = widest / 2;  // integer division, as Spark's Long arithmetic
  int64_t min_rank = 0;
  for (size_t i = 0; i + 1 < samples_.size(); ++i) {
    min_rank += samples_[i].g;
    const int64_t max_rank = min_rank + samples_[i].delta;
    if (max_rank - target_error <= rank && rank <= min_rank + target_error) return samples_[i].value;
  }
  return samples_.back().value;
}

void QuantileSummary::encode(std::string& out) const {
  codec::put(out, count_);
  codec::put<uint64_t>(out, samples_.size());
  for (const Sample& s : samples_) {
    codec::put(out, s.value);
    codec::put(out, s.g);
    codec::put(out, s.delta);
  }
  codec::put<uint64_t>(out, head_.size());
  for (double v : head_) codec::put(out, v);
}

void QuantileSummary::decode(std::string_view& in) {
  count_ = codec::get<int64_t>(in);
  const auto samples = codec::get<uint64_t>(in);
  if (samples > in.size() / (3 * 8)) fail(ErrorKind::Internal, "corrupt state value: truncated quantile summary");
  samples_.resize(samples);
  for (Sample& s : samples_) {
    s.value = codec::get<double>(in);
    s.g = codec::get<int64_t>(in);
    s.delta = codec::get<int64_t>(in);
  }
  const auto head = codec::get<uint64_t>(in);
  if (head > in.size() / 8) fail(ErrorKind::Internal, "corrupt state value: truncated quantile summary");
  head_.resize(head);
  for (double& v : head_) v = codec::get<double>(in);
}

std::unique_ptr<Accumulator> make_percentile_approx(const DataType& input, std::vector<double> percentages,
                                                    bool as_array, int64_t accuracy) {
  auto make = [&]<class T>() -> std::unique_ptr<Accumulator> {
    return std::make_unique<PercentileApproxAccumulator<T>>(input, std::move(percentages), as_array, accuracy);
  };
  switch (input.id) {
    case TypeId::Int:
    case TypeId::Date: return make.template operator()<int32_t>();
    case TypeId::Long:
    case TypeId::Timestamp: return make.template operator()<int64_t>();
    case TypeId::Float: return make.template operator()<float>();
    case TypeId::Double: return make.template operator()<double>();
    default: return nullptr;
  }
}

std::unique_ptr<Accumulator> make_median(const DataType& input) {
  switch (input.id) {
    case TypeId::Int: return std::make_unique<MedianAccumulator<int32_t>>();
    case TypeId::Long: return std::make_unique<MedianAccumulator<int64_t>>();
    case TypeId::Float: return std::make_unique<MedianAccumulator<float>>();
    case TypeId::Double: return std::make_unique<MedianAccumulator<double>>();
    default: return nullptr;
  }
}

}  // namespace runnel
