#include <doctest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "ops/aggregate/accumulator.hpp"
#include "ops/aggregate/session_window.hpp"
#include "state/group_table.hpp"

using namespace runnel;

namespace {

constexpr int64_t kMinute = 60'000'000;

// A table keyed by (user, session start) and its sessions, fed rows of
// (user, minute) with a gap of `gap` minutes, as the aggregate feeds them.
struct Sessions {
  GroupTable table{{DataType::of(TypeId::String), DataType::of(TypeId::Timestamp)}};
  SessionWindows windows{{DataType::of(TypeId::String)}, 1};

  // Returns each row's group.
  std::vector<uint32_t> push(const std::vector<std::pair<const char*, int64_t>>& rows, int64_t gap = 10) {
    auto users = Column::make(DataType::of(TypeId::String));
    auto starts = Column::make(DataType::of(TypeId::Timestamp));
    std::vector<int64_t> ends;
    for (auto [user, minute] : rows) {
      users->append_string(user);
      starts->append(minute * kMinute);
      ends.push_back((minute + gap) * kMinute);
    }
    std::vector<uint32_t> ids(rows.size()), groups(rows.size());
    std::iota(ids.begin(), ids.end(), 0u);
    windows.assign(table, {users.get(), starts.get()}, starts->data<int64_t>(), ends.data(), ids.data(), rows.size(),
                   groups.data(), {});
    return groups;
  }
  // [start, end) in minutes of group g.
  std::pair<int64_t, int64_t> session(uint32_t g) const {
    return {table.key_columns()[1]->data<int64_t>()[g] / kMinute, windows.end(g) / kMinute};
  }
  // Drops the merged-away groups, as the aggregate does at the end of a micro-batch.
  std::vector<uint32_t> compact() {
    std::vector<uint8_t> keep(table.size());
    for (uint32_t g = 0; g < table.size(); ++g) keep[g] = !windows.dead(g);
    auto kept = table.compact(keep);
    windows.compact(table, kept);
    return kept;
  }
};

}  // namespace

TEST_CASE("rows of a batch merge into sessions per key; a row exactly gap after another joins it") {
  Sessions s;
  auto groups = s.push({{"a", 0}, {"b", 5}, {"a", 10}, {"a", 25}, {"a", 3}});
  CHECK(s.table.size() == 3);
  CHECK(groups[0] == groups[2]);
  CHECK(groups[0] == groups[4]);
  CHECK(groups[1] != groups[0]);
  CHECK(groups[3] != groups[0]);
  CHECK(s.session(groups[0]) == std::pair<int64_t, int64_t>{0, 20});
  CHECK(s.session(groups[1]) == std::pair<int64_t, int64_t>{5, 15});
  CHECK(s.session(groups[3]) == std::pair<int64_t, int64_t>{25, 35});
  CHECK(s.windows.merge_targets().empty());
  CHECK_FALSE(s.windows.any_dead());
}

TEST_CASE("a later row extends a stored session, keeping its group") {
  Sessions s;
  auto first = s.push({{"a", 0}});
  auto next = s.push({{"a", 10}});
  CHECK(next[0] == first[0]);
  CHECK(s.table.size() == 1);
  CHECK(s.session(first[0]) == std::pair<int64_t, int64_t>{0, 20});
}

TEST_CASE("a row bridging two stored sessions merges them into the first; the second is dead") {
  Sessions s;
  auto stored = s.push({{"a", 0}, {"a", 15}});
  REQUIRE(stored[0] != stored[1]);
  auto bridge = s.push({{"a", 7}});
  CHECK(bridge[0] == stored[0]);
  CHECK(s.session(stored[0]) == std::pair<int64_t, int64_t>{0, 25});
  CHECK(s.windows.merge_targets() == std::vector<uint32_t>{stored[0]});
  CHECK(s.windows.merge_sources() == std::vector<uint32_t>{stored[1]});
  CHECK(s.windows.dead(stored[1]));
  auto kept = s.compact();
  CHECK(kept == std::vector<uint32_t>{stored[0]});
  CHECK(s.session(0) == std::pair<int64_t, int64_t>{0, 25});
  // The index is rebuilt: the next row finds the merged session.
  CHECK(s.push({{"a", 25}})[0] == 0);  // exactly at the end
  CHECK(s.session(0) == std::pair<int64_t, int64_t>{0, 35});
}

TEST_CASE("a row before a stored session's start makes a new group that absorbs the session") {
  Sessions s;
  auto stored = s.push({{"a", 10}, {"b", 10}});
  auto earlier = s.push({{"a", 5}});
  CHECK(earlier[0] != stored[0]);
  CHECK(s.session(earlier[0]) == std::pair<int64_t, int64_t>{5, 20});
  CHECK(s.windows.merge_targets() == std::vector<uint32_t>{earlier[0]});
  CHECK(s.windows.merge_sources() == std::vector<uint32_t>{stored[0]});
  s.compact();
  CHECK(s.table.size() == 2);
}

TEST_CASE("rows that bridge several sessions across batches leave one session per key") {
  Sessions s;
  s.push({{"a", 0}, {"a", 15}, {"a", 30}, {"b", 0}});  // a: [0, 10), [15, 25), [30, 40)
  s.push({{"a", 7}, {"a", 24}, {"b", 50}});  // [7, 17) and [24, 34) chain all three
  s.compact();
  REQUIRE(s.table.size() == 3);
  std::vector<std::pair<int64_t, int64_t>> sessions;
  for (uint32_t g = 0; g < 3; ++g) sessions.push_back(s.session(g));
  CHECK(sessions == std::vector<std::pair<int64_t, int64_t>>{{0, 40}, {0, 10}, {50, 60}});
  CHECK(s.windows.merge_sources().size() == 2);
}

TEST_CASE("a dynamic gap: rows whose gap is null, zero, negative or invalid have no session") {
  SessionSpec spec;
  auto ts = Column::make(DataType::of(TypeId::Timestamp));
  auto gaps = Column::make(DataType::of(TypeId::String));
  const char* texts[] = {"5 minutes", nullptr, "0 seconds", "-1 minute", "later", "1 hour"};
  for (const char* text : texts) {
    ts->append(int64_t{0});
    text ? gaps->append_string(text) : gaps->append_null();
  }
  ts->append_null();
  gaps->append_string("1 minute");
  const size_t n = ts->size();
  std::vector<int64_t> starts(n), ends(n);
  std::vector<uint32_t> rows(n);
  REQUIRE(spec.assign(*ts, gaps.get(), n, starts.data(), ends.data(), rows.data()) == 2);
  CHECK(rows[0] == 0);
  CHECK(ends[0] == 5 * kMinute);
  CHECK(rows[1] == 5);
  CHECK(ends[5] == 60 * kMinute);
}

TEST_CASE("sessions survive save and load through their ends and the rebuilt index") {
  Sessions s;
  s.push({{"a", 0}, {"a", 15}, {"b", 0}});
  GroupTable restored({DataType::of(TypeId::String), DataType::of(TypeId::Timestamp)});
  SessionWindows windows({DataType::of(TypeId::String)}, 1);
  for (uint32_t g = 0; g < s.table.size(); ++g) {
    std::string key;
    s.table.encode_key(g, key);
    windows.set_end(restored.find_or_insert_encoded(key), s.windows.end(g));
  }
  windows.rebuild(restored);
  s.table = std::move(restored);
  s.windows = std::move(windows);
  auto groups = s.push({{"a", 8}});  // bridges a's sessions [0, 10) and [15, 25)
  CHECK(s.session(groups[0]) == std::pair<int64_t, int64_t>{0, 25});
  CHECK(s.windows.merge_sources().size() == 1);
}

// --- Accumulator::merge ---

namespace {

ColumnRef ints(const std::vector<std::optional<int32_t>>& values) {
  auto c = Column::make(DataType::of(TypeId::Int));
  for (auto& v : values) v ? c->append(*v) : c->append_null();
  return c;
}

// Folds values[i] into group groups[i] of 2 groups, merges group 1 into group 0, returns group 0's result.
ColumnRef merged(std::unique_ptr<Accumulator> acc, const Column& values, const std::vector<uint32_t>& groups,
                 const Column* ordering = nullptr) {
  REQUIRE(acc);
  REQUIRE(acc->can_merge());
  acc->resize(2);
  std::vector<uint32_t> rows(groups.size());
  std::iota(rows.begin(), rows.end(), 0u);
  if (ordering) acc->update_ordered(&values, ordering, rows.data(), groups.data(), groups.size());
  else acc->update(&values, rows.data(), groups.data(), groups.size());
  uint32_t dst = 0, src = 1;
  acc->merge(&dst, &src, 1);
  return acc->result(&dst, 1);
}

}  // namespace

TEST_CASE("merge folds one group's state into another for every kind") {
  auto v = ints({1, 5, std::nullopt, 3, 4, std::nullopt});
  const std::vector<uint32_t> g{0, 1, 0, 1, 0, 1};  // group 0: 1, null, 4; group 1: 5, 3, null
  const DataType int_type = DataType::of(TypeId::Int);
  CHECK(merged(make_accumulator(AggregateKind::CountStar, int_type), *v, g)->data<int64_t>()[0] == 6);
  CHECK(merged(make_accumulator(AggregateKind::Count, int_type), *v, g)->data<int64_t>()[0] == 4);
  CHECK(merged(make_accumulator(AggregateKind::Sum, int_type), *v, g)->data<int64_t>()[0] == 13);
  CHECK(merged(make_accumulator(AggregateKind::Avg, int_type), *v, g)->data<double>()[0] == 3.25);
  CHECK(merged(make_accumulator(AggregateKind::Min, int_type), *v, g)->data<int32_t>()[0] == 1);
  CHECK(merged(make_accumulator(AggregateKind::Max, int_type), *v, g)->data<int32_t>()[0] == 5);
  CHECK(merged(make_accumulator(AggregateKind::First, int_type), *v, g)->data<int32_t>()[0] == 1);
  CHECK(merged(make_accumulator(AggregateKind::Last, int_type), *v, g)->is_null(0));  // group 1's last is null
  // Welford's parallel merge gives the variance of all four values: 1, 4, 5, 3.
  CHECK(merged(make_accumulator(AggregateKind::VarPop, int_type), *v, g)->data<double>()[0] == doctest::Approx(2.1875));
  CHECK(merged(make_accumulator(AggregateKind::VarSamp, int_type), *v, g)->data<double>()[0] ==
        doctest::Approx(2.9166666666666665));
  auto list = merged(make_accumulator(AggregateKind::CollectList, int_type), *v, g);
  const Column& items = *list->children()[0];
  REQUIRE(items.size() == 4);
  CHECK(std::vector<int32_t>(items.data<int32_t>(), items.data<int32_t>() + 4) == std::vector<int32_t>{1, 4, 5, 3});
  auto y = ints({10, 30, std::nullopt, 20, 30, std::nullopt});
  CHECK(merged(make_accumulator_by(AggregateKind::MaxBy, int_type, int_type), *v, g, y.get())->data<int32_t>()[0] ==
        4);  // a tie at 30: dst's row came first
  CHECK(merged(make_accumulator_by(AggregateKind::MinBy, int_type, int_type), *v, g, y.get())->data<int32_t>()[0] ==
        1);
}

TEST_CASE("merging into an empty group copies the state; merging an empty group changes nothing") {
  auto v = ints({7});
  for (AggregateKind kind : {AggregateKind::Sum, AggregateKind::Min, AggregateKind::First, AggregateKind::Last}) {
    auto into_empty = merged(make_accumulator(kind, DataType::of(TypeId::Int)), *v, {1});
    auto from_empty = merged(make_accumulator(kind, DataType::of(TypeId::Int)), *v, {0});
    CHECK(into_empty->is_valid(0));
    CHECK(from_empty->is_valid(0));
  }
  auto sd = merged(make_accumulator(AggregateKind::StddevPop, DataType::of(TypeId::Int)), *v, {1});
  CHECK(sd->data<double>()[0] == 0.0);
}

TEST_CASE("approx_count_distinct merges as the union of its sketches, median as the union of its values") {
  auto v = ints({1, 5, 1, 3, 4, 5});
  const std::vector<uint32_t> g{0, 1, 0, 1, 0, 1};  // group 0: 1, 1, 4; group 1: 5, 3, 5
  const DataType int_type = DataType::of(TypeId::Int);
  CHECK(merged(make_accumulator(AggregateKind::ApproxCountDistinct, int_type), *v, g)->data<int64_t>()[0] == 4);
  CHECK(merged(make_accumulator(AggregateKind::Median, int_type), *v, g)->data<double>()[0] == 3.5);
}
