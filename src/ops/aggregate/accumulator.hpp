// Accumulators: one aggregate function's per-group state, kept in typed
// arrays indexed by group id (GroupTable numbers groups densely). update()
// folds a whole batch in one call — a virtual call per batch, a tight typed
// loop per row. Result types follow Spark: count -> bigint (never null),
// sum of integers -> bigint (wrapping on overflow, as non-ANSI Spark), sum of
// floats -> double, avg -> double; min, max, first and last keep the input
// type. Nulls are skipped except by count(*), first and last (Spark's
// default ignoreNulls = false). stddev_samp/stddev_pop/var_samp/var_pop ->
// double, null without values; the sample forms are also null for a single
// value (Spark 3's default, spark.sql.legacy.statisticalAggregate = false).
// min_by(x, y)/max_by(x, y) -> x's type: the x of the row with the least/
// greatest non-null y (the first such row on ties, x may be null), null when
// no row has a y. collect_list(x) -> array<x's type>: the non-null values in
// arrival order, an empty array (never null) without values.
// approx_count_distinct (ops/aggregate/hll.hpp) -> bigint; percentile_approx
// and median (ops/aggregate/percentile.hpp).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "batch/column.hpp"

namespace runnel {

enum class AggregateKind { CountStar, Count, Sum, Avg, Min, Max, First, Last, StddevSamp, StddevPop, VarSamp, VarPop,
                           MinBy, MaxBy, CollectList, ApproxCountDistinct, PercentileApprox, Median };

// The kind for a function name (lower case; Spark's aliases: "mean" is avg,
// "std" and "stddev" are stddev_samp, "variance" is var_samp), or nullopt.
std::optional<AggregateKind> aggregate_kind(std::string_view name);

class Accumulator {
 public:
  virtual ~Accumulator() = default;
  virtual const DataType& result_type() const = 0;
  // Grows to `groups` groups; new groups hold the empty aggregate.
  virtual void resize(size_t groups) = 0;
  // Folds values[rows[i]] into group groups[i] for i < n (values is null for count(*)).
  virtual void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) = 0;
  // The same for two-argument aggregates (min_by, max_by), ordered by `ordering`;
  // only they need it, the others ignore `ordering`.
  virtual void update_ordered(const Column* values, const Column* ordering, const uint32_t* rows,
                              const uint32_t* groups, size_t n) {
    update(values, rows, groups, n);
  }
  // The results of groups[0..n) as a column.
  virtual ColumnRef result(const uint32_t* groups, size_t n) const = 0;
  // Keeps the groups `kept` (old ids, ascending), renumbered 0.. as GroupTable::compact.
  virtual void compact(const std::vector<uint32_t>& kept) = 0;
  virtual size_t memory_bytes() const = 0;
  // The state of group g as bytes (state/codec.hpp), and back into group g
  // (which exists: resize first). For saving to and restoring from a StateStore.
  virtual void encode(uint32_t g, std::string& out) const = 0;
  virtual void decode(uint32_t g, std::string_view& in) = 0;
  // Session windows merge groups: for i < n in order, folds the state of group
  // src[i] into group dst[i] as if dst's rows were followed by src's (first
  // keeps dst's, last takes src's, collect_list appends src's list). src's state
  // is unspecified afterwards (the caller drops it). Only accumulators whose
  // can_merge() is true implement it.
  virtual bool can_merge() const { return false; }
  virtual void merge(const uint32_t* dst, const uint32_t* src, size_t n) {
    (void)dst;
    (void)src;
    (void)n;
    fail(ErrorKind::Internal, "merge() of an aggregate that cannot merge");
  }
};

// The loop of most update()s: fold(group, value) for each of rows[0..n)
// whose value is not null, value read as T (inlined: no call per row).
template <class T, class Fold>
void for_each_value(const Column& values, const uint32_t* rows, const uint32_t* groups, size_t n, Fold&& fold) {
  const T* v = values.data<T>();
  const bool all_valid = values.all_valid();
  for (size_t i = 0; i < n; ++i) {
    const uint32_t row = rows[i];
    if (!all_valid && values.is_null(row)) continue;
    fold(groups[i], v[row]);
  }
}

// An accumulator for `kind` over values of `input` type (ignored for count(*)),
// with default parameters (approx_count_distinct's rsd 0.05). Returns nullptr
// when the kind does not accept that type, and for percentile_approx, which
// needs its percentages (make_percentile_approx).
std::unique_ptr<Accumulator> make_accumulator(AggregateKind kind, const DataType& input);
// An accumulator for min_by/max_by of `values` ordered by `ordering`, or nullptr
// when a type is not supported (flat types only).
std::unique_ptr<Accumulator> make_accumulator_by(AggregateKind kind, const DataType& values, const DataType& ordering);

}  // namespace runnel
