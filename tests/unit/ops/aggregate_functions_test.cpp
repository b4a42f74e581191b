// Spark's aggregate functions beyond count/sum/avg/min/max/first/last:
// stddev/variance (sample and population), checked against values worked
// out by hand with Spark's CentralMomentAgg update (n, mean, m2 in doubles)
// and Spark 3's null for a sample of one; min_by/max_by; collect_list.
#include <doctest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "ops/aggregate/accumulator.hpp"

using namespace runnel;

namespace {

// Folds values[i] into group groups[i] and returns the accumulator (sized for `n` groups).
std::unique_ptr<Accumulator> fold(AggregateKind kind, const Column& values, const std::vector<uint32_t>& groups,
                                  size_t n) {
  auto acc = make_accumulator(kind, values.type());
  REQUIRE(acc);
  acc->resize(n);
  std::vector<uint32_t> rows(groups.size());
  std::iota(rows.begin(), rows.end(), 0u);
  acc->update(&values, rows.data(), groups.data(), groups.size());
  return acc;
}

ColumnRef results(const Accumulator& acc, size_t n) {
  std::vector<uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0u);
  return acc.result(ids.data(), n);
}

ColumnRef ints(const std::vector<std::optional<int32_t>>& values) {
  auto c = Column::make(DataType::of(TypeId::Int));
  for (auto& v : values) v ? c->append(*v) : c->append_null();
  return c;
}

ColumnRef strings(const std::vector<std::optional<std::string>>& values) {
  auto c = Column::make(DataType::of(TypeId::String));
  for (auto& v : values) v ? c->append_string(*v) : c->append_null();
  return c;
}

// Folds min_by/max_by(values, ordering) of all rows into one group per call of `groups`.
std::unique_ptr<Accumulator> fold_by(AggregateKind kind, const Column& values, const Column& ordering,
                                     const std::vector<uint32_t>& groups, size_t n) {
  auto acc = make_accumulator_by(kind, values.type(), ordering.type());
  REQUIRE(acc);
  acc->resize(n);
  std::vector<uint32_t> rows(groups.size());
  std::iota(rows.begin(), rows.end(), 0u);
  acc->update_ordered(&values, &ordering, rows.data(), groups.data(), groups.size());
  return acc;
}

// Group 0: 1, 2, 3, 4 and a null (n 4, mean 2.5, m2 5); group 1: 7 alone;
// group 2: only nulls; group 3: no rows.
const std::vector<uint32_t> kGroups = {0, 1, 0, 2, 0, 0, 0};
ColumnRef sample_values() { return ints({1, 7, 2, std::nullopt, std::nullopt, 3, 4}); }

}  // namespace

TEST_CASE("Spark's names for the statistical aggregates") {
  CHECK(aggregate_kind("stddev") == AggregateKind::StddevSamp);
  CHECK(aggregate_kind("std") == AggregateKind::StddevSamp);
  CHECK(aggregate_kind("stddev_samp") == AggregateKind::StddevSamp);
  CHECK(aggregate_kind("stddev_pop") == AggregateKind::StddevPop);
  CHECK(aggregate_kind("variance") == AggregateKind::VarSamp);
  CHECK(aggregate_kind("var_samp") == AggregateKind::VarSamp);
  CHECK(aggregate_kind("var_pop") == AggregateKind::VarPop);
}

TEST_CASE("var_samp and stddev_samp: double, nulls skipped, null for one value or none") {
  auto values = sample_values();
  auto var = results(*fold(AggregateKind::VarSamp, *values, kGroups, 4), 4);
  CHECK(var->type().id == TypeId::Double);
  CHECK(var->data<double>()[0] == 5.0 / 3.0);
  CHECK(var->is_null(1));
  CHECK(var->is_null(2));
  CHECK(var->is_null(3));
  auto sd = results(*fold(AggregateKind::StddevSamp, *values, kGroups, 4), 4);
  CHECK(sd->type().id == TypeId::Double);
  CHECK(sd->data<double>()[0] == std::sqrt(5.0 / 3.0));
  CHECK(sd->is_null(1));
  CHECK(sd->is_null(2));
  CHECK(sd->is_null(3));
}

TEST_CASE("var_pop and stddev_pop: 0 for one value, null for none") {
  auto values = sample_values();
  auto var = results(*fold(AggregateKind::VarPop, *values, kGroups, 4), 4);
  CHECK(var->data<double>()[0] == 1.25);
  CHECK(var->is_valid(1));
  CHECK(var->data<double>()[1] == 0.0);
  CHECK(var->is_null(2));
  CHECK(var->is_null(3));
  auto sd = results(*fold(AggregateKind::StddevPop, *values, kGroups, 4), 4);
  CHECK(sd->data<double>()[0] == std::sqrt(1.25));
  CHECK(sd->data<double>()[1] == 0.0);
  CHECK(sd->is_null(2));
}

TEST_CASE("stddev over longs, floats and doubles; NaN propagates; other types are rejected") {
  auto longs = Column::make(DataType::of(TypeId::Long));
  for (int64_t v : {2, 4, 4, 4, 5, 5, 7, 9}) longs->append(v);  // mean 5, m2 32
  auto pop = results(*fold(AggregateKind::StddevPop, *longs, std::vector<uint32_t>(8, 0), 1), 1);
  CHECK(pop->data<double>()[0] == 2.0);
  auto samp = results(*fold(AggregateKind::VarSamp, *longs, std::vector<uint32_t>(8, 0), 1), 1);
  CHECK(samp->data<double>()[0] == 32.0 / 7.0);

  auto floats = Column::make(DataType::of(TypeId::Float));
  floats->append(1.5f);
  floats->append(-0.5f);  // mean 0.5, m2 2
  CHECK(results(*fold(AggregateKind::VarSamp, *floats, {0, 0}, 1), 1)->data<double>()[0] == 2.0);

  auto doubles = Column::make(DataType::of(TypeId::Double));
  doubles->append(1.0);
  doubles->append(std::numeric_limits<double>::quiet_NaN());
  CHECK(std::isnan(results(*fold(AggregateKind::StddevSamp, *doubles, {0, 0}, 1), 1)->data<double>()[0]));

  CHECK_FALSE(make_accumulator(AggregateKind::StddevSamp, DataType::of(TypeId::String)));
  CHECK_FALSE(make_accumulator(AggregateKind::VarPop, DataType::of(TypeId::Timestamp)));
}

TEST_CASE("stddev folds across batches, survives encode/decode and compaction") {
  auto first = ints({10, 1});
  auto acc = fold(AggregateKind::VarSamp, *first, {0, 1}, 2);
  auto second = ints({20, 2});
  std::vector<uint32_t> rows = {0, 1}, groups = {0, 1};
  acc->update(second.get(), rows.data(), groups.data(), 2);  // group 0: 10, 20 (m2 50); group 1: 1, 2 (m2 0.5)

  std::string bytes;
  acc->encode(0, bytes);
  auto restored = make_accumulator(AggregateKind::VarSamp, DataType::of(TypeId::Int));
  restored->resize(1);
  std::string_view in = bytes;
  restored->decode(0, in);
  CHECK(in.empty());
  CHECK(results(*restored, 1)->data<double>()[0] == 50.0);

  acc->compact({1});
  CHECK(results(*acc, 1)->data<double>()[0] == 0.5);
}

TEST_CASE("min_by and max_by: the value at the least/greatest ordering, first on ties, null orderings skipped") {
  CHECK(aggregate_kind("min_by") == AggregateKind::MinBy);
  CHECK(aggregate_kind("max_by") == AggregateKind::MaxBy);
  // Group 0 orders a:3, b:5, c:5, (d: null ordering), e:1; group 1 has a null value at the extreme;
  // group 2 only a null ordering; group 3 no rows.
  auto x = strings({"a", "b", "c", "d", "e", std::nullopt, "g", "h"});
  auto y = ints({3, 5, 5, std::nullopt, 1, 9, 2, std::nullopt});
  const std::vector<uint32_t> groups = {0, 0, 0, 0, 0, 1, 1, 2};
  auto max = results(*fold_by(AggregateKind::MaxBy, *x, *y, groups, 4), 4);
  CHECK(max->type().id == TypeId::String);
  CHECK(max->data<std::string_view>()[0] == "b");
  CHECK(max->is_null(1));
  CHECK(max->is_null(2));
  CHECK(max->is_null(3));
  auto min = results(*fold_by(AggregateKind::MinBy, *x, *y, groups, 4), 4);
  CHECK(min->data<std::string_view>()[0] == "e");
  CHECK(min->data<std::string_view>()[1] == "g");
  CHECK(min->is_null(2));
}

TEST_CASE("max_by orders NaN above every number, min_by below none; the value keeps its type") {
  auto x = ints({1, 2, 3});
  auto y = Column::make(DataType::of(TypeId::Double));
  for (double v : {1.0, std::numeric_limits<double>::quiet_NaN(), -1.0}) y->append(v);
  auto max = results(*fold_by(AggregateKind::MaxBy, *x, *y, {0, 0, 0}, 1), 1);
  CHECK(max->type().id == TypeId::Int);
  CHECK(max->data<int32_t>()[0] == 2);
  CHECK(results(*fold_by(AggregateKind::MinBy, *x, *y, {0, 0, 0}, 1), 1)->data<int32_t>()[0] == 3);
}

TEST_CASE("max_by keeps strings past their batch, across batches, encode/decode and compaction") {
  std::unique_ptr<Accumulator> acc;
  {
    auto x = strings({"first", "other"});
    auto y = strings({"m", "a"});
    acc = fold_by(AggregateKind::MaxBy, *x, *y, {0, 1}, 2);
  }  // the batch is gone
  auto x = strings({"second", "later"});
  auto y = strings({"z", "b"});
  std::vector<uint32_t> rows = {0, 1}, groups = {0, 1};
  acc->update_ordered(x.get(), y.get(), rows.data(), groups.data(), 2);
  auto out = results(*acc, 2);
  CHECK(out->data<std::string_view>()[0] == "second");
  CHECK(out->data<std::string_view>()[1] == "later");

  std::string bytes;
  acc->encode(1, bytes);
  auto restored = make_accumulator_by(AggregateKind::MaxBy, x->type(), y->type());
  restored->resize(1);
  std::string_view in = bytes;
  restored->decode(0, in);
  CHECK(in.empty());
  auto z = strings({"not"});
  auto before = strings({"a"});  // orders below the restored "b": ignored
  uint32_t zero = 0;
  restored->update_ordered(z.get(), before.get(), &zero, &zero, 1);
  CHECK(results(*restored, 1)->data<std::string_view>()[0] == "later");

  acc->compact({1});
  CHECK(results(*acc, 1)->data<std::string_view>()[0] == "later");
}

TEST_CASE("min_by and max_by take flat types only") {
  const DataType array = DataType::array_of(DataType::of(TypeId::Int));
  CHECK_FALSE(make_accumulator_by(AggregateKind::MaxBy, array, DataType::of(TypeId::Int)));
  CHECK_FALSE(make_accumulator_by(AggregateKind::MinBy, DataType::of(TypeId::Int), array));
  CHECK(make_accumulator_by(AggregateKind::MinBy, DataType::of(TypeId::Timestamp), DataType::of(TypeId::Date)));
  CHECK_FALSE(make_accumulator(AggregateKind::MaxBy, DataType::of(TypeId::Int)));  // needs its ordering
}

namespace {

// Group g's array of a collect_list result, as strings.
std::vector<std::string> list_of(const Column& lists, size_t g) {
  const Column& items = *lists.children()[0];
  std::vector<std::string> out;
  for (uint32_t e = lists.offsets()[g]; e < lists.offsets()[g + 1]; ++e)
    out.emplace_back(items.data<std::string_view>()[e]);
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("collect_list: non-null values in arrival order, an empty array (not null) without values") {
  CHECK(aggregate_kind("collect_list") == AggregateKind::CollectList);
  auto x = strings({"a", "b", std::nullopt, "c", std::nullopt, "a"});
  auto acc = fold(AggregateKind::CollectList, *x, {0, 1, 0, 0, 2, 0}, 4);
  auto out = results(*acc, 4);
  CHECK(out->type().id == TypeId::Array);
  CHECK(out->type().element->id == TypeId::String);
  CHECK(out->all_valid());
  CHECK(list_of(*out, 0) == Strings{"a", "c", "a"});
  CHECK(list_of(*out, 1) == Strings{"b"});
  CHECK(list_of(*out, 2).empty());
  CHECK(list_of(*out, 3).empty());
}

TEST_CASE("collect_list of ints keeps the type; only flat element types are accepted") {
  auto x = ints({5, std::nullopt, -1});
  auto out = results(*fold(AggregateKind::CollectList, *x, {0, 0, 0}, 1), 1);
  CHECK(out->type().element->id == TypeId::Int);
  REQUIRE(out->offsets()[1] == 2);
  CHECK(out->children()[0]->data<int32_t>()[0] == 5);
  CHECK(out->children()[0]->data<int32_t>()[1] == -1);
  CHECK_FALSE(make_accumulator(AggregateKind::CollectList, DataType::array_of(DataType::of(TypeId::Int))));
}

TEST_CASE("collect_list appends across batches, survives encode/decode and compaction") {
  std::unique_ptr<Accumulator> acc;
  {
    auto first = strings({"g0-1", "g1-1", "g2-1"});
    acc = fold(AggregateKind::CollectList, *first, {0, 1, 2}, 3);
  }  // the batch is gone
  auto second = strings({"g1-2", "g0-2"});
  std::vector<uint32_t> rows = {0, 1}, groups = {1, 0};
  acc->update(second.get(), rows.data(), groups.data(), 2);
  CHECK(list_of(*results(*acc, 3), 1) == Strings{"g1-1", "g1-2"});

  std::string bytes;
  acc->encode(0, bytes);
  auto restored = make_accumulator(AggregateKind::CollectList, DataType::of(TypeId::String));
  restored->resize(1);
  std::string_view in = bytes;
  restored->decode(0, in);
  CHECK(in.empty());
  CHECK(list_of(*results(*restored, 1), 0) == Strings{"g0-1", "g0-2"});

  acc->compact({0, 2});
  auto out = results(*acc, 2);
  CHECK(list_of(*out, 0) == Strings{"g0-1", "g0-2"});
  CHECK(list_of(*out, 1) == Strings{"g2-1"});
  auto third = strings({"g2-2"});
  uint32_t row = 0, group = 1;
  acc->update(third.get(), &row, &group, 1);
  CHECK(list_of(*results(*acc, 2), 1) == Strings{"g2-1", "g2-2"});
}
