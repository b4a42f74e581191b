#include <doctest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include "ops/aggregate/accumulator.hpp"

using namespace runnel;

namespace {

// Folds `values` into groups `groups` (row i into groups[i]) and returns the results of groups 0..n.
ColumnRef fold(AggregateKind kind, const Column& values, const std::vector<uint32_t>& groups, size_t n) {
  auto acc = make_accumulator(kind, values.type());
  REQUIRE(acc);
  acc->resize(n);
  std::vector<uint32_t> rows(groups.size());
  std::iota(rows.begin(), rows.end(), 0u);
  acc->update(&values, rows.data(), groups.data(), groups.size());
  std::vector<uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0u);
  return acc->result(ids.data(), n);
}

ColumnRef longs(const std::vector<std::optional<int64_t>>& values) {
  auto c = Column::make(DataType::of(TypeId::Long));
  for (auto& v : values) v ? c->append(*v) : c->append_null();
  return c;
}

}  // namespace

TEST_CASE("count(*) counts rows, count(x) non-null values; both bigint, never null") {
  auto v = longs({1, std::nullopt, 3});
  auto star = fold(AggregateKind::CountStar, *v, {0, 0, 1}, 3);
  CHECK(star->type().id == TypeId::Long);
  CHECK(star->data<int64_t>()[0] == 2);
  CHECK(star->data<int64_t>()[1] == 1);
  CHECK(star->data<int64_t>()[2] == 0);
  CHECK(star->all_valid());
  auto count = fold(AggregateKind::Count, *v, {0, 0, 1}, 2);
  CHECK(count->data<int64_t>()[0] == 1);
}

TEST_CASE("sum of ints is bigint, wraps on overflow, and is null without values") {
  auto ints = Column::make(DataType::of(TypeId::Int));
  ints->append<int32_t>(std::numeric_limits<int32_t>::max());
  ints->append<int32_t>(1);
  auto sum = fold(AggregateKind::Sum, *ints, {0, 0}, 2);
  CHECK(sum->type().id == TypeId::Long);
  CHECK(sum->data<int64_t>()[0] == int64_t{std::numeric_limits<int32_t>::max()} + 1);
  CHECK(sum->is_null(1));
  auto big = longs({std::numeric_limits<int64_t>::max(), 1});
  CHECK(fold(AggregateKind::Sum, *big, {0, 0}, 1)->data<int64_t>()[0] == std::numeric_limits<int64_t>::min());
}

TEST_CASE("sum of doubles is double; avg is double and skips nulls") {
  auto d = Column::make(DataType::of(TypeId::Double));
  d->append(1.5);
  d->append(2.0);
  auto sum = fold(AggregateKind::Sum, *d, {0, 0}, 1);
  CHECK(sum->type().id == TypeId::Double);
  CHECK(sum->data<double>()[0] == 3.5);
  auto avg = fold(AggregateKind::Avg, *longs({1, std::nullopt, 2}), {0, 0, 0}, 2);
  CHECK(avg->type().id == TypeId::Double);
  CHECK(avg->data<double>()[0] == 1.5);
  CHECK(avg->is_null(1));
}

TEST_CASE("min and max skip nulls and keep the input type; NaN is the largest double") {
  auto v = longs({5, std::nullopt, -2, 7});
  auto min = fold(AggregateKind::Min, *v, {0, 0, 0, 0}, 1);
  auto max = fold(AggregateKind::Max, *v, {0, 0, 0, 0}, 1);
  CHECK(min->type().id == TypeId::Long);
  CHECK(min->data<int64_t>()[0] == -2);
  CHECK(max->data<int64_t>()[0] == 7);
  auto d = Column::make(DataType::of(TypeId::Double));
  d->append(1.0);
  d->append(std::nan(""));
  CHECK(std::isnan(fold(AggregateKind::Max, *d, {0, 0}, 1)->data<double>()[0]));
  CHECK(fold(AggregateKind::Min, *d, {0, 0}, 1)->data<double>()[0] == 1.0);
}

TEST_CASE("first and last keep nulls (ignoreNulls = false); strings outlive their input") {
  auto s = Column::make(DataType::of(TypeId::String));
  s->append_null();
  s->append_string("x");
  s->append_string("y");
  auto acc = make_accumulator(AggregateKind::First, s->type());
  auto last = make_accumulator(AggregateKind::Last, s->type());
  acc->resize(1);
  last->resize(1);
  std::vector<uint32_t> rows = {0, 1, 2}, groups = {0, 0, 0};
  acc->update(s.get(), rows.data(), groups.data(), 3);
  last->update(s.get(), rows.data(), groups.data(), 3);
  s.reset();  // the input batch goes away
  uint32_t g = 0;
  CHECK(acc->result(&g, 1)->is_null(0));
  CHECK(last->result(&g, 1)->data<std::string_view>()[0] == "y");
}

TEST_CASE("compact keeps the chosen groups' values") {
  auto acc = make_accumulator(AggregateKind::Max, DataType::of(TypeId::String));
  acc->resize(3);
  auto s = Column::make(DataType::of(TypeId::String));
  for (const char* w : {"a", "b", "c"}) s->append_string(w);
  std::vector<uint32_t> rows = {0, 1, 2}, groups = {0, 1, 2};
  acc->update(s.get(), rows.data(), groups.data(), 3);
  acc->compact({0, 2});
  std::vector<uint32_t> ids = {0, 1};
  auto out = acc->result(ids.data(), 2);
  CHECK(out->data<std::string_view>()[0] == "a");
  CHECK(out->data<std::string_view>()[1] == "c");
}

TEST_CASE("types an aggregate does not accept give no accumulator") {
  CHECK_FALSE(make_accumulator(AggregateKind::Sum, DataType::of(TypeId::String)));
  CHECK_FALSE(make_accumulator(AggregateKind::Avg, DataType::of(TypeId::Timestamp)));
  CHECK(make_accumulator(AggregateKind::Min, DataType::of(TypeId::Timestamp)));
  CHECK(aggregate_kind("mean") == AggregateKind::Avg);
  CHECK_FALSE(aggregate_kind("collect_set"));
}
