#include <doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "state/group_table.hpp"
#include "state/state_store.hpp"

using namespace runnel;

namespace {

std::vector<uint32_t> all_rows(size_t n) {
  std::vector<uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0u);
  return rows;
}

std::vector<uint32_t> groups_of(GroupTable& table, const std::vector<const Column*>& keys, size_t n) {
  auto rows = all_rows(n);
  std::vector<uint32_t> ids(n);
  table.find_or_insert(keys, rows.data(), n, ids.data());
  return ids;
}

}  // namespace

TEST_CASE("groups are numbered in insertion order and found again") {
  GroupTable table({DataType::of(TypeId::String), DataType::of(TypeId::Long)});
  auto words = Column::make(DataType::of(TypeId::String));
  auto nums = Column::make(DataType::of(TypeId::Long));
  for (auto [w, n] : std::vector<std::pair<const char*, int64_t>>{{"a", 1}, {"b", 1}, {"a", 1}, {"a", 2}, {"b", 1}}) {
    words->append_string(w);
    nums->append(n);
  }
  auto ids = groups_of(table, {words.get(), nums.get()}, 5);
  CHECK(ids == std::vector<uint32_t>{0, 1, 0, 2, 1});
  CHECK(table.size() == 3);
  CHECK(table.key_columns()[0]->data<std::string_view>()[2] == "a");
  CHECK(table.key_columns()[1]->data<int64_t>()[2] == 2);
}

TEST_CASE("null is a group of its own, apart from every value") {
  GroupTable table({DataType::of(TypeId::Int)});
  auto c = Column::make(DataType::of(TypeId::Int));
  c->append<int32_t>(0);
  c->append_null();
  c->append<int32_t>(0);
  c->append_null();
  auto ids = groups_of(table, {c.get()}, 4);
  CHECK(ids == std::vector<uint32_t>{0, 1, 0, 1});
  CHECK(table.key_columns()[0]->is_null(1));
}

TEST_CASE("-0.0 groups with 0.0 and every NaN is one group") {
  GroupTable table({DataType::of(TypeId::Double)});
  auto c = Column::make(DataType::of(TypeId::Double));
  for (double v : {0.0, -0.0, std::nan("1"), -std::nan("2"), 1.5}) c->append(v);
  auto ids = groups_of(table, {c.get()}, 5);
  CHECK(ids == std::vector<uint32_t>{0, 0, 1, 1, 2});
}

TEST_CASE("growth keeps every group findable") {
  GroupTable table({DataType::of(TypeId::Long)});
  auto c = Column::make(DataType::of(TypeId::Long));
  const size_t n = 100'000;
  for (size_t i = 0; i < n; ++i) c->append(static_cast<int64_t>(i * 7919 % n));
  auto ids = groups_of(table, {c.get()}, n);
  CHECK(table.size() == n);
  auto again = groups_of(table, {c.get()}, n);
  CHECK(again == ids);
  CHECK(table.size() == n);
}

TEST_CASE("keys that collide in the slots are told apart by value") {
  // Many keys in a small table: probing must compare keys, not stop at the first slot.
  GroupTable table({DataType::of(TypeId::String)});
  auto c = Column::make(DataType::of(TypeId::String));
  for (int i = 0; i < 64; ++i) c->append_string("key" + std::to_string(i % 32));
  auto ids = groups_of(table, {c.get()}, 64);
  for (int i = 0; i < 32; ++i) CHECK(ids[static_cast<size_t>(i)] == ids[static_cast<size_t>(i + 32)]);
  CHECK(table.size() == 32);
}

TEST_CASE("a table without keys has one group") {
  GroupTable table({});
  auto ids = groups_of(table, {}, 3);
  CHECK(ids == std::vector<uint32_t>{0, 0, 0});
  CHECK(table.size() == 1);
}

TEST_CASE("compact keeps the chosen groups, renumbered, and still finds them") {
  GroupTable table({DataType::of(TypeId::String)});
  auto c = Column::make(DataType::of(TypeId::String));
  for (const char* w : {"a", "b", "c", "d"}) c->append_string(w);
  groups_of(table, {c.get()}, 4);
  auto kept = table.compact({0, 1, 0, 1});
  CHECK(kept == std::vector<uint32_t>{1, 3});
  CHECK(table.size() == 2);
  auto ids = groups_of(table, {c.get()}, 4);
  CHECK(ids == std::vector<uint32_t>{2, 0, 3, 1});  // a and c come back as new groups
}

namespace {

// A memory store that counts the writes reaching it.
struct CountingStore final : StateStore {
  MemoryStateStore inner;
  int puts = 0, removes = 0;
  int64_t version() const override { return inner.version(); }
  std::optional<std::string> get(std::string_view key) const override { return inner.get(key); }
  void put(std::string_view key, std::string_view value) override { ++puts, inner.put(key, value); }
  void remove(std::string_view key) override { ++removes, inner.remove(key); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& fn) const override { inner.for_each(fn); }
  void for_each_with_prefix(std::string_view prefix,
                            const std::function<void(std::string_view, std::string_view)>& fn) const override {
    inner.for_each_with_prefix(prefix, fn);
  }
  void for_each_in_range(std::string_view begin, std::string_view end,
                         const std::function<void(std::string_view, std::string_view)>& fn) const override {
    inner.for_each_in_range(begin, end, fn);
  }
  void commit(int64_t version) override { inner.commit(version); }
  void abort() override { inner.abort(); }
};

// Saves `table` with each group's value being its number in `values`.
void save(const GroupTable& table, StateStore& store, const std::vector<int64_t>& values) {
  save_groups(table, store, [&](uint32_t g, std::string& out) { out += std::to_string(values.at(g)); });
}

std::vector<std::string> keys_of(const GroupTable& table) {
  std::vector<std::string> keys;
  for (uint32_t g = 0; g < table.size(); ++g) keys.emplace_back(table.key_columns()[0]->data<std::string_view>()[g]);
  return keys;
}

}  // namespace

TEST_CASE("save_groups writes everything once, then only the groups found or dropped since") {
  GroupTable table({DataType::of(TypeId::String)});
  auto c = Column::make(DataType::of(TypeId::String));
  for (const char* w : {"a", "b", "c", "d"}) c->append_string(w);
  groups_of(table, {c.get()}, 4);
  CountingStore store;
  save(table, store, {1, 2, 3, 4});
  CHECK(store.puts == 4);

  uint32_t row = 2, group;  // "c" changes
  table.find_or_insert({c.get()}, &row, 1, &group);
  save(table, store, {1, 2, 30, 4});
  CHECK(store.puts == 5);
  CHECK(store.removes == 0);

  table.compact({1, 0, 1, 1});  // "b" is dropped
  save(table, store, {1, 30, 4});
  CHECK(store.puts == 5);
  CHECK(store.removes == 1);

  uint32_t d = 2;
  table.mark_changed(&d, 1);  // "d" changed by its owner
  save(table, store, {1, 30, 40});
  CHECK(store.puts == 6);

  // What the store holds is the table: reload it into a fresh one.
  GroupTable restored({DataType::of(TypeId::String)});
  std::vector<std::string> values;
  load_groups(restored, store, [&](uint32_t, std::string_view& value) {
    values.emplace_back(value);
    value = {};
  });
  CHECK(keys_of(restored) == std::vector<std::string>{"a", "c", "d"});
  CHECK(values == std::vector<std::string>{"1", "30", "40"});
  // A restored table is in step with its store: saving it writes nothing.
  int before = store.puts;
  save(restored, store, {1, 30, 40});
  CHECK(store.puts == before);
}

TEST_CASE("a group dropped and inserted again between saves is removed, then written") {
  GroupTable table({DataType::of(TypeId::String)});
  auto c = Column::make(DataType::of(TypeId::String));
  c->append_string("a");
  groups_of(table, {c.get()}, 1);
  CountingStore store;
  save(table, store, {1});
  table.compact({0});
  groups_of(table, {c.get()}, 1);
  save(table, store, {7});
  CHECK(store.removes == 1);
  CHECK(store.puts == 2);
  int entries = 0;
  store.for_each([&](std::string_view, std::string_view value) {
    ++entries;
    CHECK(value == "7");
  });
  CHECK(entries == 1);
}

TEST_CASE("with a TTL, groups untouched for that long expire, and the touch time survives save and load") {
  GroupTable table({DataType::of(TypeId::String)});
  table.set_ttl(1000);
  auto c = Column::make(DataType::of(TypeId::String));
  for (const char* w : {"a", "b"}) c->append_string(w);
  table.set_now(10'000);
  groups_of(table, {c.get()}, 2);
  table.set_now(10'500);
  uint32_t row = 1, group;  // "b" again
  table.find_or_insert({c.get()}, &row, 1, &group);
  std::vector<uint8_t> keep(2, 1);
  CHECK(table.expire(keep, 10'999) == 0);
  CHECK(table.expire(keep, 11'000) == 1);  // "a": touched at 10,000 + 1,000
  CHECK(keep == std::vector<uint8_t>{0, 1});

  MemoryStateStore store;
  save(table, store, {1, 2});
  GroupTable restored({DataType::of(TypeId::String)});
  restored.set_ttl(1000);
  load_groups(restored, store, [](uint32_t, std::string_view& value) { value = {}; });
  std::vector<uint8_t> all(2, 1);
  CHECK(restored.expire(all, 11'499) == 1);
  CHECK(restored.expire(all, 11'500) == 1);  // "b": touched at 10,500
}

TEST_CASE("find looks keys up without inserting: kNoGroup for a new key, null as a key of its own") {
  GroupTable table({DataType::of(TypeId::Long)});
  auto built = Column::make(DataType::of(TypeId::Long));
  built->append(int64_t{7});
  built->append_null();
  groups_of(table, {built.get()}, 2);
  auto probe = Column::make(DataType::of(TypeId::Long));
  probe->append(int64_t{8});
  probe->append_null();
  probe->append(int64_t{7});
  auto rows = all_rows(3);
  std::vector<uint32_t> ids(3);
  table.find({probe.get()}, rows.data(), 3, ids.data());
  CHECK(ids == std::vector<uint32_t>{GroupTable::kNoGroup, 1, 0});
  CHECK(table.size() == 2);
}

namespace {
ColumnRef strings_of(const std::vector<std::string>& words) {
  auto c = Column::make(DataType::of(TypeId::String));
  for (auto& w : words) c->append_string(w);
  return c;
}
}  // namespace

TEST_CASE("spill leaves groups in the store only; new rows and scans bring them back with their values") {
  MemoryStateStore store;
  GroupTable table({DataType::of(TypeId::String)});
  std::vector<int64_t> values;
  auto keys = strings_of({"a", "b", "c", "d"});
  auto ids = groups_of(table, {keys.get()}, 4);
  values = {10, 20, 30, 40};
  save(table, store, values);
  store.commit(0);

  std::vector<uint8_t> keep{0, 1, 0, 1};  // b and d stay in memory
  std::vector<uint32_t> kept = table.spill(keep, store);
  CHECK(kept == std::vector<uint32_t>{1, 3});
  CHECK(keys_of(table) == std::vector<std::string>{"b", "d"});
  CHECK(table.spilled() == 2);
  values = {20, 40};

  // "a" comes back with its stored value; "e" is new and not in the store.
  auto decode = [&](uint32_t g, std::string_view& v) {
    values.resize(table.size());
    values[g] = std::stoll(std::string(v));
    v = {};
  };
  auto more = strings_of({"a", "e", "b"});
  const auto before = static_cast<uint32_t>(table.size());
  ids = groups_of(table, {more.get()}, 3);
  values.resize(table.size());
  CHECK(reload_new_groups(table, store, before, decode) == 1);
  CHECK(keys_of(table) == std::vector<std::string>{"b", "d", "a", "e"});
  CHECK(values == std::vector<int64_t>{20, 40, 10, 0});
  CHECK(table.spilled() == 1);

  // A spill does not remove anything from the store: the next save writes only what changed.
  values[2] = 11;
  save(table, store, values);
  store.commit(1);
  size_t stored = 0;
  store.for_each([&](std::string_view, std::string_view) { ++stored; });
  CHECK(stored == 5);

  // A scan brings back the spilled groups it wants ("c") and leaves the rest.
  reload_spilled(table, store, [](const std::vector<const Column*>&, size_t, std::string_view) { return true; }, decode);
  CHECK(keys_of(table) == std::vector<std::string>{"b", "d", "a", "e", "c"});
  CHECK(values.back() == 30);
  CHECK(table.spilled() == 0);
}

TEST_CASE("a restart under a memory limit loads nothing: every stored key counts as spilled and is found by the filter") {
  MemoryStateStore store;
  {
    GroupTable table({DataType::of(TypeId::String)});
    std::vector<std::string> words;
    for (int i = 0; i < 5000; ++i) words.push_back("k" + std::to_string(i));
    auto keys = strings_of(words);
    groups_of(table, {keys.get()}, words.size());
    save(table, store, std::vector<int64_t>(words.size(), 7));
    store.commit(0);
  }
  GroupTable table({DataType::of(TypeId::String)});
  size_t seen = 0;
  reload_spilled(table, store, [&](const std::vector<const Column*>&, size_t, std::string_view) { ++seen; return false; },
                 [](uint32_t, std::string_view&) { FAIL("nothing is loaded"); });
  CHECK(seen == 5000);
  CHECK(table.size() == 0);
  CHECK(table.spilled() == 5000);
  auto probe = strings_of({"k4999", "k0", "new"});
  groups_of(table, {probe.get()}, 3);
  CHECK(table.maybe_spilled(0));
  CHECK(table.maybe_spilled(1));
  std::vector<int64_t> values(3);
  CHECK(reload_new_groups(table, store, 0, [&](uint32_t g, std::string_view& v) {
          values[g] = std::stoll(std::string(v));
          v = {};
        }) == 2);
  CHECK(values == std::vector<int64_t>{7, 7, 0});
  CHECK(table.spilled() == 4998);
}

TEST_CASE("with a TTL, spilled groups that ran out come back for expire(); one a row finds is touched anew") {
  MemoryStateStore store;
  GroupTable table({DataType::of(TypeId::String)});
  table.set_ttl(1000);
  table.set_now(10'000);
  auto keys = strings_of({"a", "b", "c"});
  groups_of(table, {keys.get()}, 3);
  table.set_now(10'400);
  uint32_t row = 2, group;  // "c" again
  table.find_or_insert({keys.get()}, &row, 1, &group);
  save(table, store, {1, 2, 3});
  store.commit(0);
  std::vector<uint8_t> keep(3, 0);
  table.spill(keep, store);
  CHECK(table.spilled() == 3);
  auto decode = [](uint32_t, std::string_view& v) { v = {}; };

  // "b" is found by a row at 10,900: the stored touch (10,000) gives way to this batch's.
  table.set_now(10'900);
  auto b = strings_of({"b"});
  groups_of(table, {b.get()}, 1);
  CHECK(reload_new_groups(table, store, 0, decode) == 1);
  reload_expired(table, store, 10'999, decode);  // nothing has run out: no scan brings anything
  CHECK(table.size() == 1);
  reload_expired(table, store, 11'000, decode);  // "a" ran out (touched at 10,000), "c" not (10,400)
  CHECK(keys_of(table) == std::vector<std::string>{"b", "a"});
  CHECK(table.spilled() == 1);
  std::vector<uint8_t> all(2, 1);
  CHECK(table.expire(all, 11'000) == 1);
  CHECK(all == std::vector<uint8_t>{1, 0});
  reload_expired(table, store, 11'400, decode);
  CHECK(keys_of(table) == std::vector<std::string>{"b", "a", "c"});
  CHECK(table.spilled() == 0);
}

TEST_CASE("many keys: inserted and found in bulk past the hash chunk and prefetch distances") {
  const size_t n = 10000;  // more than one chunk of hashed rows (4096)
  auto words = Column::make(DataType::of(TypeId::String));
  for (size_t i = 0; i < n; ++i) words->append_string("k" + std::to_string(i % 7000));
  GroupTable table({DataType::of(TypeId::String)});
  auto ids = groups_of(table, {words.get()}, n);
  CHECK(table.size() == 7000);
  for (size_t i = 0; i < n; ++i) CHECK(ids[i] == i % 7000);

  auto probe = Column::make(DataType::of(TypeId::String));
  for (size_t i = 0; i < n; ++i) probe->append_string((i % 3 ? "k" : "x") + std::to_string(i));
  auto rows = all_rows(n);
  std::vector<uint32_t> found(n);
  table.find({probe.get()}, rows.data(), n, found.data());
  for (size_t i = 0; i < n; ++i) CHECK(found[i] == (i % 3 && i < 7000 ? i : GroupTable::kNoGroup));
}

TEST_CASE("short string keys that share bytes, words or all but their length hash apart") {
  // Up to 16 bytes a string hashes from (overlapping) words and its length:
  // each of these differs from another in one byte, one word or its length.
  std::vector<std::string> keys = {"", "a", "aa", "aaa", "ab", "abb", "a\0"};
  keys.back().push_back('\0');
  for (size_t n = 1; n <= 24; ++n) {
    keys.push_back(std::string(n, 'x'));
    keys.push_back(std::string(n - 1, 'x') + "y");
    if (n > 1) keys.push_back("y" + std::string(n - 1, 'x'));
  }
  auto column = Column::make(DataType::of(TypeId::String));
  for (auto& k : keys) column->append_string(k);
  GroupTable table({DataType::of(TypeId::String)});
  const auto rows = all_rows(keys.size());
  std::vector<uint64_t> hashes = table.hashes({column.get()}, rows.data(), rows.size());
  std::sort(hashes.begin(), hashes.end());
  CHECK(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end());
  CHECK(groups_of(table, {column.get()}, keys.size()).back() == keys.size() - 1);
}
