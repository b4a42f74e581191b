#include "ops/aggregate/accumulator.hpp"

#include "ops/aggregate/hll.hpp"
#include "ops/aggregate/percentile.hpp"
#include "state/codec.hpp"
#include "state/group_table.hpp"

#include <cmath>
#include <cstring>
#include <optional>

namespace runnel {

namespace {

template <class T>
size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// count(*) and count(x).
class CountAccumulator final : public Accumulator {
 public:
  explicit CountAccumulator(bool star) : star_(star) {}
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override { counts_.resize(groups, 0); }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    if (star_ || values->all_valid()) {
      for (size_t i = 0; i < n; ++i) ++counts_[groups[i]];
      return;
    }
    for (size_t i = 0; i < n; ++i) counts_[groups[i]] += values->is_valid(rows[i]);
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    auto out = Column::make(type_, n);
    out->resize(n);
    for (size_t i = 0; i < n; ++i) out->data<int64_t>()[i] = counts_[groups[i]];
    return out;
  }
  void compact(const std::vector<uint32_t>& kept) override { keep_only(counts_, kept); }
  size_t memory_bytes() const override { return bytes_of(counts_); }
  void encode(uint32_t g, std::string& out) const override { codec::put(out, counts_[g]); }
  void decode(uint32_t g, std::string_view& in) override { counts_[g] = codec::get<int64_t>(in); }
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) counts_[dst[i]] += counts_[src[i]];
  }

 private:
  bool star_;
  DataType type_ = DataType::of(TypeId::Long);
  std::vector<int64_t> counts_;
};

// sum (Sum = int64_t or double) and avg (also counts) over input values In.
template <class In, class Sum, bool kAverage>
class SumAccumulator final : public Accumulator {
 public:
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override {
    sums_.resize(groups, 0);
    counts_.resize(groups, 0);
  }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    for_each_value<In>(*values, rows, groups, n, [&](uint32_t g, In value) {
      add(sums_[g], value);
      ++counts_[g];
    });
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    auto out = Column::make(type_, n);
    out->resize(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t g = groups[i];
      if (counts_[g] == 0) {
        out->set_null(i);
      } else if constexpr (kAverage) {
        out->data<double>()[i] = static_cast<double>(sums_[g]) / static_cast<double>(counts_[g]);
      } else {
        out->data<Sum>()[i] = sums_[g];
      }
    }
    return out;
  }
  void compact(const std::vector<uint32_t>& kept) override {
    keep_only(sums_, kept);
    keep_only(counts_, kept);
  }
  size_t memory_bytes() const override { return bytes_of(sums_) + bytes_of(counts_); }
  void encode(uint32_t g, std::string& out) const override {
    codec::put(out, sums_[g]);
    codec::put(out, counts_[g]);
  }
  void decode(uint32_t g, std::string_view& in) override {
    sums_[g] = codec::get<Sum>(in);
    counts_[g] = codec::get<int64_t>(in);
  }
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      if constexpr (std::is_integral_v<Sum>)  // wraps as add() does
        sums_[dst[i]] = static_cast<Sum>(static_cast<uint64_t>(sums_[dst[i]]) + static_cast<uint64_t>(sums_[src[i]]));
      else
        sums_[dst[i]] += sums_[src[i]];
      counts_[dst[i]] += counts_[src[i]];
    }
  }

 private:
  static void add(Sum& sum, In value) {
    if constexpr (std::is_integral_v<Sum>)  // wraps like Java's long (non-ANSI Spark)
      sum = static_cast<Sum>(static_cast<uint64_t>(sum) + static_cast<uint64_t>(static_cast<int64_t>(value)));
    else
      sum += static_cast<Sum>(value);
  }
  DataType type_ = DataType::of(kAverage || std::is_floating_point_v<Sum> ? TypeId::Double : TypeId::Long);
  std::vector<Sum> sums_;
  std::vector<int64_t> counts_;
};

// Spark orders NaN above every other value.
template <class T>
bool less(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// min, max, first and last: the chosen value per group in a column of the input type.
template <class T>
class ValueAccumulator final : public Accumulator {
 public:
  ValueAccumulator(AggregateKind kind, const DataType& type) : kind_(kind), values_(Column::make(type)) {}
  const DataType& result_type() const override { return values_->type(); }
  void resize(size_t groups) override {
    size_t old = values_->size();
    values_->resize(groups);
    for (size_t g = old; g < groups; ++g) values_->set_null(g);
    seen_.resize(groups, 0);
  }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    const T* v = values->data<T>();
    for (size_t i = 0; i < n; ++i) {
      uint32_t row = rows[i], g = groups[i];
      bool is_null = values->is_null(row);
      switch (kind_) {
        case AggregateKind::First:
          if (!seen_[g]) set(g, v[row], is_null);
          break;
        case AggregateKind::Last: set(g, v[row], is_null); break;
        case AggregateKind::Min:
          if (!is_null && (!seen_[g] || less(v[row], values_->data<T>()[g]))) set(g, v[row], false);
          break;
        default:  // Max
          if (!is_null && (!seen_[g] || less(values_->data<T>()[g], v[row]))) set(g, v[row], false);
          break;
      }
    }
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override { return values_->gather(groups, n); }
  void compact(const std::vector<uint32_t>& kept) override {
    ColumnRef fresh = Column::make(values_->type(), kept.size());
    fresh->resize(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) copy_into(*fresh, i, kept[i]);
    values_ = std::move(fresh);
    keep_only(seen_, kept);
  }
  size_t memory_bytes() const override {
    size_t bytes = values_->capacity() * sizeof(T) + bytes_of(seen_);
    if constexpr (std::is_same_v<T, std::string_view>) bytes += values_->arena().bytes_used();
    return bytes;
  }
  void encode(uint32_t g, std::string& out) const override {
    codec::put<uint8_t>(out, seen_[g]);
    codec::put_value(out, *values_, g);
  }
  void decode(uint32_t g, std::string_view& in) override {
    const uint8_t seen = codec::get<uint8_t>(in);
    auto one = Column::make(values_->type(), 1);
    codec::append_value(in, *one);
    set(g, one->data<T>()[0], one->is_null(0));
    seen_[g] = seen;
  }
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    const T* v = values_->data<T>();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t d = dst[i], s = src[i];
      if (!seen_[s]) continue;
      bool take;
      switch (kind_) {
        case AggregateKind::First: take = !seen_[d]; break;
        case AggregateKind::Last: take = true; break;
        case AggregateKind::Min: take = !seen_[d] || less(v[s], v[d]); break;
        default: take = !seen_[d] || less(v[d], v[s]); break;  // Max
      }
      // set() copies a string within the arena, whose chunks never move.
      if (take) set(d, values_->data<T>()[s], values_->is_null(s));
    }
  }

 private:
  void set(uint32_t g, const T& value, bool is_null) {
    seen_[g] = 1;
    if (is_null) return values_->set_null(g);
    values_->set_valid(g);
    // Strings are copied into the state's arena (the input batch does not live on).
    if constexpr (std::is_same_v<T, std::string_view>) values_->data<T>()[g] = values_->arena().copy(value);
    else values_->data<T>()[g] = value;
  }
  void copy_into(Column& dst, size_t i, uint32_t g) const {
    if (values_->is_null(g)) return dst.set_null(i);
    if constexpr (std::is_same_v<T, std::string_view>) dst.data<T>()[i] = dst.arena().copy(values_->data<T>()[g]);
    else dst.data<T>()[i] = values_->data<T>()[g];
  }
  AggregateKind kind_;
  ColumnRef values_;
  std::vector<uint8_t> seen_;
};

// stddev and variance from the count, mean and sum of squared deviations
// (m2), updated per value as Spark's CentralMomentAgg does (Welford's
// method, in doubles), so results agree with Spark to the last bit.
template <class In>
class CentralMomentAccumulator final : public Accumulator {
 public:
  explicit CentralMomentAccumulator(AggregateKind kind) : kind_(kind) {}
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override {
    counts_.resize(groups, 0);
    means_.resize(groups, 0);
    m2s_.resize(groups, 0);
  }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    for_each_value<In>(*values, rows, groups, n, [&](uint32_t g, In value) {
      const double count = static_cast<double>(++counts_[g]);
      const double delta = static_cast<double>(value) - means_[g];
      const double delta_n = delta / count;
      means_[g] += delta_n;
      m2s_[g] += delta * (delta - delta_n);
    });
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    const bool sample = kind_ == AggregateKind::StddevSamp || kind_ == AggregateKind::VarSamp;
    const bool root = kind_ == AggregateKind::StddevSamp || kind_ == AggregateKind::StddevPop;
    auto out = Column::make(type_, n);
    out->resize(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t count = counts_[groups[i]];
      if (count == 0 || (sample && count == 1)) {
        out->set_null(i);
        continue;
      }
      const double variance = m2s_[groups[i]] / static_cast<double>(sample ? count - 1 : count);
      out->data<double>()[i] = root ? std::sqrt(variance) : variance;
    }
    return out;
  }
  void compact(const std::vector<uint32_t>& kept) override {
    keep_only(counts_, kept);
    keep_only(means_, kept);
    keep_only(m2s_, kept);
  }
  size_t memory_bytes() const override { return bytes_of(counts_) + bytes_of(means_) + bytes_of(m2s_); }
  void encode(uint32_t g, std::string& out) const override {
    codec::put(out, counts_[g]);
    codec::put(out, means_[g]);
    codec::put(out, m2s_[g]);
  }
  void decode(uint32_t g, std::string_view& in) override {
    counts_[g] = codec::get<int64_t>(in);
    means_[g] = codec::get<double>(in);
    m2s_[g] = codec::get<double>(in);
  }
  bool can_merge() const override { return true; }
  // Spark's CentralMomentAgg merge (Chan et al.'s parallel update).
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t d = dst[i], s = src[i];
      const double n1 = static_cast<double>(counts_[d]), n2 = static_cast<double>(counts_[s]);
      const double count = n1 + n2;
      const double delta = means_[s] - means_[d];
      const double delta_n = count == 0 ? 0 : delta / count;
      means_[d] += delta_n * n2;
      m2s_[d] += m2s_[s] + delta * delta_n * n1 * n2;
      counts_[d] += counts_[s];
    }
  }

 private:
  AggregateKind kind_;
  DataType type_ = DataType::of(TypeId::Double);
  std::vector<int64_t> counts_;
  std::vector<double> means_, m2s_;
};

std::unique_ptr<Accumulator> make_central_moment(AggregateKind kind, const DataType& input) {
  switch (input.id) {
    case TypeId::Int: return std::make_unique<CentralMomentAccumulator<int32_t>>(kind);
    case TypeId::Long: return std::make_unique<CentralMomentAccumulator<int64_t>>(kind);
    case TypeId::Float: return std::make_unique<CentralMomentAccumulator<float>>(kind);
    case TypeId::Double: return std::make_unique<CentralMomentAccumulator<double>>(kind);
    default: return nullptr;
  }
}

// Sets row g of dst (a flat type) to row `row` of src, copying strings into
// dst's arena (the input batch does not live on).
void store(Column& dst, size_t g, const Column& src, size_t row) {
  if (src.is_null(row)) return dst.set_null(g);
  dst.set_valid(g);
  if (dst.id() == TypeId::String || dst.id() == TypeId::Binary) {
    dst.data<std::string_view>()[g] = dst.arena().copy(src.data<std::string_view>()[row]);
    return;
  }
  const size_t width = physical_width(dst.id());
  std::memcpy(dst.data<char>() + g * width, src.data<char>() + row * width, width);
}

bool is_flat(TypeId id) {
  switch (id) {
    case TypeId::Boolean: case TypeId::Int: case TypeId::Date: case TypeId::Long: case TypeId::Timestamp:
    case TypeId::Float: case TypeId::Double: case TypeId::String: case TypeId::Binary: return true;
    default: return false;
  }
}

// min_by and max_by: per group the chosen value and its ordering value, as
// columns of their types; Y is the ordering's physical type.
template <class Y>
class ExtremumByAccumulator final : public Accumulator {
 public:
  ExtremumByAccumulator(bool max, const DataType& values, const DataType& ordering)
      : max_(max), values_(Column::make(values)), orderings_(Column::make(ordering)) {}
  const DataType& result_type() const override { return values_->type(); }
  void resize(size_t groups) override {
    const size_t old = values_->size();
    values_->resize(groups);
    orderings_->resize(groups);
    for (size_t g = old; g < groups; ++g) values_->set_null(g);
    seen_.resize(groups, 0);
  }
  void update(const Column*, const uint32_t*, const uint32_t*, size_t) override {
    fail(ErrorKind::Internal, "min_by/max_by folded without its ordering");
  }
  void update_ordered(const Column* values, const Column* ordering, const uint32_t* rows, const uint32_t* groups,
                      size_t n) override {
    const Y* y = ordering->data<Y>();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t row = rows[i], g = groups[i];
      if (ordering->is_null(row)) continue;
      const Y& best = orderings_->data<Y>()[g];
      // Strictly better only: the first row wins a tie, as Spark's max_by/min_by.
      if (seen_[g] && !(max_ ? less(best, y[row]) : less(y[row], best))) continue;
      seen_[g] = 1;
      store(*orderings_, g, *ordering, row);
      store(*values_, g, *values, row);
    }
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override { return values_->gather(groups, n); }
  void compact(const std::vector<uint32_t>& kept) override {
    values_ = kept_rows(*values_, kept);
    orderings_ = kept_rows(*orderings_, kept);
    keep_only(seen_, kept);
  }
  size_t memory_bytes() const override {
    return bytes_of(seen_) + column_bytes(*values_) + column_bytes(*orderings_);
  }
  void encode(uint32_t g, std::string& out) const override {
    codec::put<uint8_t>(out, seen_[g]);
    codec::put_value(out, *values_, g);
    codec::put_value(out, *orderings_, g);
  }
  void decode(uint32_t g, std::string_view& in) override {
    seen_[g] = codec::get<uint8_t>(in);
    for (Column* column : {values_.get(), orderings_.get()}) {
      auto one = Column::make(column->type(), 1);
      codec::append_value(in, *one);
      store(*column, g, *one, 0);
    }
  }
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t d = dst[i], s = src[i];
      if (!seen_[s]) continue;
      const Y& best = orderings_->data<Y>()[d];
      const Y& other = orderings_->data<Y>()[s];
      // On a tie dst's value stays: its rows came first.
      if (seen_[d] && !(max_ ? less(best, other) : less(other, best))) continue;
      seen_[d] = 1;
      store(*orderings_, d, *orderings_, s);
      store(*values_, d, *values_, s);
    }
  }

 private:
  static ColumnRef kept_rows(const Column& column, const std::vector<uint32_t>& kept) {
    ColumnRef fresh = Column::make(column.type(), kept.size());
    fresh->resize(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) store(*fresh, i, column, kept[i]);
    return fresh;
  }
  static size_t column_bytes(Column& column) {
    size_t bytes = column.capacity() * physical_width(column.id());
    if (column.id() == TypeId::String || column.id() == TypeId::Binary)
      bytes += column.arena().bytes_used();
    return bytes;
  }
  bool max_;
  ColumnRef values_, orderings_;
  std::vector<uint8_t> seen_;
};

// collect_list: the elements of all groups in one column, each group's a
// chain through next_ from head_ to tail_, so appending a value allocates
// nothing per group; compact() lays the kept chains out contiguously again.
class CollectListAccumulator final : public Accumulator {
 public:
  explicit CollectListAccumulator(const DataType& element)
      : type_(DataType::array_of(element)), elements_(Column::make(element)) {}
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override {
    heads_.resize(groups, kEnd);
    tails_.resize(groups, kEnd);
  }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    const bool strings = is_string(elements_->id());
    for (size_t i = 0; i < n; ++i) {
      const uint32_t row = rows[i];
      if (values->is_null(row)) continue;
      // Strings are copied into the state's arena (the input batch does not live on).
      if (strings) elements_->append_string(values->data<std::string_view>()[row]);
      else elements_->append_from(*values, row);
      link(groups[i]);
    }
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    auto out = Column::make(type_, n);
    Column& items = *out->children()[0];
    for (size_t i = 0; i < n; ++i) {
      for (uint32_t e = heads_[groups[i]]; e != kEnd; e = next_[e]) items.append_from(*elements_, e);
      out->end_array();
    }
    return out;
  }
  void compact(const std::vector<uint32_t>& kept) override {
    CollectListAccumulator fresh(elements_->type());
    fresh.resize(kept.size());
    for (uint32_t g = 0; g < kept.size(); ++g) {
      for (uint32_t e = heads_[kept[g]]; e != kEnd; e = next_[e]) {
        fresh.append_element(e, *elements_);
        fresh.link(g);
      }
    }
    *this = std::move(fresh);
  }
  size_t memory_bytes() const override {
    size_t bytes = elements_->capacity() * physical_width(elements_->id()) + bytes_of(next_) + bytes_of(heads_) +
                   bytes_of(tails_);
    if (is_string(elements_->id())) bytes += elements_->arena().bytes_used();
    return bytes;
  }
  void encode(uint32_t g, std::string& out) const override {
    uint32_t count = 0;
    for (uint32_t e = heads_[g]; e != kEnd; e = next_[e]) ++count;
    codec::put(out, count);
    for (uint32_t e = heads_[g]; e != kEnd; e = next_[e]) codec::put_value(out, *elements_, e);
  }
  void decode(uint32_t g, std::string_view& in) override {
    const uint32_t count = codec::get<uint32_t>(in);
    for (uint32_t i = 0; i < count; ++i) {
      codec::append_value(in, *elements_);
      link(g);
    }
  }
  bool can_merge() const override { return true; }
  // Splices src's chain onto the end of dst's: no element is copied.
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t d = dst[i], s = src[i];
      if (heads_[s] == kEnd || d == s) continue;
      if (heads_[d] == kEnd) heads_[d] = heads_[s];
      else next_[tails_[d]] = heads_[s];
      tails_[d] = tails_[s];
      heads_[s] = tails_[s] = kEnd;
    }
  }

 private:
  static constexpr uint32_t kEnd = UINT32_MAX;
  static bool is_string(TypeId id) { return id == TypeId::String || id == TypeId::Binary; }
  void append_element(uint32_t e, const Column& from) {
    if (is_string(elements_->id())) elements_->append_string(from.data<std::string_view>()[e]);
    else elements_->append_from(from, e);
  }
  // Chains the last element appended to the end of group g's list.
  void link(uint32_t g) {
    const auto e = static_cast<uint32_t>(elements_->size() - 1);
    if (e == kEnd) fail(ErrorKind::Internal, "collect_list: more than 2^32 - 1 values in state");
    next_.push_back(kEnd);
    if (heads_[g] == kEnd) heads_[g] = e;
    else next_[tails_[g]] = e;
    tails_[g] = e;
  }
  DataType type_;
  ColumnRef elements_;
  std::vector<uint32_t> next_;  // per element: the next of its group, or kEnd
  std::vector<uint32_t> heads_, tails_;  // per group: first and last element, or kEnd
};

template <bool kAverage>
std::unique_ptr<Accumulator> make_sum(const DataType& input) {
  switch (input.id) {
    case TypeId::Int: return std::make_unique<SumAccumulator<int32_t, std::conditional_t<kAverage, double, int64_t>, kAverage>>();
    case TypeId::Long: return std::make_unique<SumAccumulator<int64_t, std::conditional_t<kAverage, double, int64_t>, kAverage>>();
    case TypeId::Float: return std::make_unique<SumAccumulator<float, double, kAverage>>();
    case TypeId::Double: return std::make_unique<SumAccumulator<double, double, kAverage>>();
    default: return nullptr;
  }
}

std::unique_ptr<Accumulator> make_value(AggregateKind kind, const DataType& input) {
  switch (input.id) {
    case TypeId::Boolean: return std::make_unique<ValueAccumulator<uint8_t>>(kind, input);
    case TypeId::Int:
    case TypeId::Date: return std::make_unique<ValueAccumulator<int32_t>>(kind, input);
    case TypeId::Long:
    case TypeId::Timestamp: return std::make_unique<ValueAccumulator<int64_t>>(kind, input);
    case TypeId::Float: return std::make_unique<ValueAccumulator<float>>(kind, input);
    case TypeId::Double: return std::make_unique<ValueAccumulator<double>>(kind, input);
    case TypeId::String:
    case TypeId::Binary: return std::make_unique<ValueAccumulator<std::string_view>>(kind, input);
    default: return nullptr;
  }
}

}  // namespace

std::optional<AggregateKind> aggregate_kind(std::string_view name) {
  if (name == "count") return AggregateKind::Count;
  if (name == "sum") return AggregateKind::Sum;
  if (name == "avg" || name == "mean") return AggregateKind::Avg;
  if (name == "min") return AggregateKind::Min;
  if (name == "max") return AggregateKind::Max;
  if (name == "first") return AggregateKind::First;
  if (name == "last") return AggregateKind::Last;
  if (name == "stddev" || name == "std" || name == "stddev_samp") return AggregateKind::StddevSamp;
  if (name == "stddev_pop") return AggregateKind::StddevPop;
  if (name == "variance" || name == "var_samp") return AggregateKind::VarSamp;
  if (name == "var_pop") return AggregateKind::VarPop;
  if (name == "min_by") return AggregateKind::MinBy;
  if (name == "max_by") return AggregateKind::MaxBy;
  if (name == "collect_list") return AggregateKind::CollectList;
  if (name == "approx_count_distinct") return AggregateKind::ApproxCountDistinct;
  if (name == "percentile_approx" || name == "approx_percentile") return AggregateKind::PercentileApprox;
  if (name == "median") return AggregateKind::Median;
  return std::nullopt;
}

std::unique_ptr<Accumulator> make_accumulator(AggregateKind kind, const DataType& input) {
  switch (kind) {
    case AggregateKind::CountStar: return std::make_unique<CountAccumulator>(true);
    case AggregateKind::Count: return std::make_unique<CountAccumulator>(false);
    case AggregateKind::Sum: return make_sum<false>(input);
    case AggregateKind::Avg: return make_sum<true>(input);
    case AggregateKind::StddevSamp:
    case AggregateKind::StddevPop:
    case AggregateKind::VarSamp:
    case AggregateKind::VarPop: return make_central_moment(kind, input);
    case AggregateKind::CollectList: return is_flat(input.id) ? std::make_unique<CollectListAccumulator>(input) : nullptr;
    case AggregateKind::MinBy:
    case AggregateKind::MaxBy: return nullptr;  // two arguments: make_accumulator_by
    case AggregateKind::ApproxCountDistinct: {
      std::string unused;
      return make_approx_count_distinct(input, hll::precision_for(hll::kDefaultRelativeSd, unused));
    }
    case AggregateKind::Median: return make_median(input);
    case AggregateKind::PercentileApprox: return nullptr;  // needs its percentages: make_percentile_approx
    default: return make_value(kind, input);
  }
}

std::unique_ptr<Accumulator> make_accumulator_by(AggregateKind kind, const DataType& values, const DataType& ordering) {
  if (!is_flat(values.id)) return nullptr;
  const bool max = kind == AggregateKind::MaxBy;
  switch (ordering.id) {
    case TypeId::Boolean: return std::make_unique<ExtremumByAccumulator<uint8_t>>(max, values, ordering);
    case TypeId::Int:
    case TypeId::Date: return std::make_unique<ExtremumByAccumulator<int32_t>>(max, values, ordering);
    case TypeId::Long:
    case TypeId::Timestamp: return std::make_unique<ExtremumByAccumulator<int64_t>>(max, values, ordering);
    case TypeId::Float: return std::make_unique<ExtremumByAccumulator<float>>(max, values, ordering);
    case TypeId::Double: return std::make_unique<ExtremumByAccumulator<double>>(max, values, ordering);
    case TypeId::String:
    case TypeId::Binary: return std::make_unique<ExtremumByAccumulator<std::string_view>>(max, values, ordering);
    default: return nullptr;
  }
}

}  // namespace runnel
