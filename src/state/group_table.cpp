#include "state/group_table.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <string_view>

#include "base/error.hpp"
#include "batch/batch.hpp"
#include "state/codec.hpp"

namespace runnel {

namespace {

constexpr uint32_t kEmpty = UINT32_MAX;
constexpr uint64_t kNullHash = 0x7f4a7c159e3779b9ULL;
// Rows hashed at a time (the hashes stay in cache, the scratch stays small).
constexpr size_t kHashChunk = 4096;
// A table of kFarSlots slots or more is far larger than the cache: every
// lookup misses on its slot, its group's hash and key, and a prefetch that
// many rows ahead of each stage overlaps the misses.
constexpr size_t kFarSlots = size_t{1} << 16;
constexpr size_t kPrefetch = 16;

uint64_t mix(uint64_t x) {  // MurmurHash3's 64-bit finaliser
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Floating-point keys are normalised as Spark does: -0.0 is 0.0, every NaN is one NaN.
template <class F>
F normalise(F v) {
  if (std::isnan(v)) return std::numeric_limits<F>::quiet_NaN();
  return v == 0 ? F(0) : v;
}

template <class T>
uint64_t bits_of(T v) {
  if constexpr (std::is_floating_point_v<T>) v = normalise(v);
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

template <class Word>
uint64_t load(const char* p) {
  Word v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A string of at most 16 bytes is read as two words that may overlap (or
// fewer bytes), which with its length say exactly what it is, and folded so
// that strings differing in one word only never collide (each product is a
// bijection; mix() then spreads the result). Keys are mostly that short, and
// a call of std::hash per key cost more than the rest of the hashing. Longer
// strings go to std::hash.
uint64_t hash_string(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t a = 0, b = 0;
  if (n > 16) return std::hash<std::string_view>{}(s);
  if (n >= 8) a = load<uint64_t>(p), b = load<uint64_t>(p + n - 8);
  else if (n >= 4) a = load<uint32_t>(p) | load<uint32_t>(p + n - 4) << 32;
  else if (n > 0) a = uint64_t{static_cast<uint8_t>(p[0])} | uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
                      uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
  return a * 0x9e3779b97f4a7c15ULL ^ std::rotl(b * 0xd6e8feb86659fd93ULL, 32) ^ n;
}

template <class T>
uint64_t hash_value(T v) {
  if constexpr (std::is_same_v<T, std::string_view>) return hash_string(v);
  else return mix(bits_of(v));
}

// Folds one key column into the running row hashes.
template <class T>
void hash_column(const Column& c, const uint32_t* rows, size_t n, uint64_t* out) {
  const T* values = c.data<T>();
  if (c.all_valid()) {
    for (size_t i = 0; i < n; ++i) out[i] = mix(out[i] * 31 + hash_value(values[rows[i]]));
    return;
  }
  for (size_t i = 0; i < n; ++i)
    out[i] = mix(out[i] * 31 + (c.is_null(rows[i]) ? kNullHash : hash_value(values[rows[i]])));
}

template <class T>
bool equal_values(const Column& a, size_t i, const Column& b, size_t j) {
  if constexpr (std::is_floating_point_v<T>) return bits_of(a.data<T>()[i]) == bits_of(b.data<T>()[j]);
  else return a.data<T>()[i] == b.data<T>()[j];
}

bool equal(const Column& a, size_t i, const Column& b, size_t j) {
  bool a_null = a.is_null(i), b_null = b.is_null(j);
  if (a_null || b_null) return a_null == b_null;
  switch (a.id()) {
    case TypeId::Boolean: return equal_values<uint8_t>(a, i, b, j);
    case TypeId::Int:
    case TypeId::Date: return equal_values<int32_t>(a, i, b, j);
    case TypeId::Float: return equal_values<float>(a, i, b, j);
    case TypeId::Double: return equal_values<double>(a, i, b, j);
    case TypeId::String:
    case TypeId::Binary: return equal_values<std::string_view>(a, i, b, j);
    default: return equal_values<int64_t>(a, i, b, j);
  }
}

}  // namespace

GroupTable::GroupTable(std::vector<DataType> key_types) {
  for (auto& t : key_types) keys_.push_back(Column::make(std::move(t)));
  slots_.assign(16, kEmpty);
}

void GroupTable::hash_rows(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n) {
  row_hashes_.assign(n, 0);
  uint64_t* out = row_hashes_.data();
  for (const Column* c : keys) {
    switch (c->id()) {
      case TypeId::Boolean: hash_column<uint8_t>(*c, rows, n, out); break;
      case TypeId::Int:
      case TypeId::Date: hash_column<int32_t>(*c, rows, n, out); break;
      case TypeId::Float: hash_column<float>(*c, rows, n, out); break;
      case TypeId::Double: hash_column<double>(*c, rows, n, out); break;
      case TypeId::String:
      case TypeId::Binary: hash_column<std::string_view>(*c, rows, n, out); break;
      default: hash_column<int64_t>(*c, rows, n, out); break;
    }
  }
}

bool GroupTable::row_equals_group(const std::vector<const Column*>& keys, uint32_t row, uint32_t group) const {
  for (size_t k = 0; k < keys.size(); ++k)
    if (!equal(*keys[k], row, *keys_[k], group)) return false;
  return true;
}

bool GroupTable::same_keys(const std::vector<const Column*>& a, uint32_t i, const std::vector<const Column*>& b,
                           uint32_t j) {
  for (size_t k = 0; k < a.size(); ++k)
    if (!equal(*a[k], i, *b[k], j)) return false;
  return true;
}

uint32_t GroupTable::insert(const std::vector<const Column*>& keys, uint32_t row, uint64_t hash) {
  uint32_t group = static_cast<uint32_t>(hashes_.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    Column& dst = *keys_[k];
    // Strings are copied into the state's own arena: sharing the input's arena
    // would keep every input batch alive as long as the state.
    if (dst.type().is_string_like() && keys[k]->is_valid(row))
      dst.append_string(keys[k]->data<std::string_view>()[row]);
    else dst.append_from(*keys[k], row);
  }
  hashes_.push_back(hash);
  return group;
}

void GroupTable::find_or_insert(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n,
                                uint32_t* group_ids) {
  for (size_t at = 0; at < n; at += kHashChunk) {
    const size_t m = std::min(kHashChunk, n - at);
    hash_rows(keys, rows + at, m);
    for (size_t i = 0; i < m; ++i) {
      if ((hashes_.size() + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
      if (slots_.size() >= kFarSlots) prefetch_ahead(i, m);
      const uint64_t hash = row_hashes_[i];
      const size_t mask = slots_.size() - 1;
      size_t slot = hash & mask;
      for (;; slot = (slot + 1) & mask) {
        uint32_t g = slots_[slot];
        if (g == kEmpty) {
          g = insert(keys, rows[at + i], hash);
          slots_[slot] = g;
          group_ids[at + i] = g;
          break;
        }
        if (hashes_[g] == hash && row_equals_group(keys, rows[at + i], g)) {
          group_ids[at + i] = g;
          break;
        }
      }
    }
  }
  mark_found(group_ids, n);
}

void GroupTable::find(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n, uint32_t* group_ids) {
  hash_rows(keys, rows, n);  // all n at once: reload_spilled reads them after
  const size_t mask = slots_.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    if (slots_.size() >= kFarSlots) prefetch_ahead(i, n);
    const uint64_t hash = row_hashes_[i];
    uint32_t g = kEmpty;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      g = slots_[slot];
      if (g == kEmpty || (hashes_[g] == hash && row_equals_group(keys, rows[i], g))) break;
    }
    group_ids[i] = g == kEmpty ? kNoGroup : g;
  }
}

void GroupTable::prefetch_ahead(size_t i, size_t n) const {
  const size_t mask = slots_.size() - 1;
  if (i + 3 * kPrefetch < n) __builtin_prefetch(&slots_[row_hashes_[i + 3 * kPrefetch] & mask]);
  if (i + 2 * kPrefetch < n) {
    // The first groups of the probe chain: a lookup compares their hashes until one matches.
    size_t slot = row_hashes_[i + 2 * kPrefetch] & mask;
    for (int k = 0; k < 2 && slots_[slot] != kEmpty; ++k, slot = (slot + 1) & mask) {
      const uint32_t g = slots_[slot];
      __builtin_prefetch(&hashes_[g]);
      for (auto& key : keys_) __builtin_prefetch(key->data<uint8_t>() + size_t{g} * physical_width(key->id()));
    }
  }
  if (i + kPrefetch < n) {
    const uint32_t g = slots_[row_hashes_[i + kPrefetch] & mask];
    if (g == kEmpty) return;
    for (auto& key : keys_)
      if (key->type().is_string_like()) __builtin_prefetch(key->data<std::string_view>()[g].data());
  }
}

void GroupTable::mark_found(const uint32_t* group_ids, size_t n) {
  if (changes_.tracking) {
    changes_.changed.resize(hashes_.size());
    for (size_t i = 0; i < n; ++i) changes_.changed[group_ids[i]] = 1;
  }
  if (touches()) {
    touched_ms_.resize(hashes_.size());
    for (size_t i = 0; i < n; ++i) touched_ms_[group_ids[i]] = now_ms_;
  }
}

size_t GroupTable::expire(std::vector<uint8_t>& keep, int64_t now_ms) const {
  if (!has_ttl()) return 0;
  size_t expired = 0;
  for (uint32_t g = 0; g < touched_ms_.size(); ++g) {
    if (keep[g] && touched_ms_[g] + ttl_ms_ <= now_ms) {
      keep[g] = 0;
      ++expired;
    }
  }
  return expired;
}

void GroupTable::start_tracking() const {
  changes_.tracking = true;
  changes_.changed.assign(hashes_.size(), 0);
  changes_.removed.clear();
}

void GroupTable::rehash(size_t capacity) {
  slots_ = LargeVector<uint32_t>(capacity, kEmpty);  // not assign(): a table that shrank gives the memory back
  const size_t mask = capacity - 1;
  for (uint32_t g = 0; g < hashes_.size(); ++g) {
    size_t slot = hashes_[g] & mask;
    while (slots_[slot] != kEmpty) slot = (slot + 1) & mask;
    slots_[slot] = g;
  }
}

std::vector<uint32_t> GroupTable::compact(const std::vector<uint8_t>& keep) { return drop(keep, true); }

std::vector<uint32_t> GroupTable::spill(const std::vector<uint8_t>& keep, const StateStore& store) {
  std::vector<uint64_t> dropped;
  for (uint32_t g = 0; g < hashes_.size(); ++g) {
    if (keep[g]) continue;
    dropped.push_back(hashes_[g]);
    if (has_ttl()) spilled_min_touched_ms_ = std::min(spilled_min_touched_ms_, touched_ms_[g]);
  }
  std::vector<uint32_t> kept = drop(keep, false);
  spilled_ += dropped.size();
  if (spilled_ > filter_capacity_) {  // rebuilt from the store, sized anew
    reload_spilled(*this, store, [](const std::vector<const Column*>&, size_t, std::string_view) { return false; },
                   [](uint32_t, std::string_view&) {});
  } else {
    for (uint64_t h : dropped) add_to_filter(h);
  }
  return kept;
}

std::vector<uint8_t> GroupTable::most_recent_within(size_t budget_bytes, size_t state_bytes) const {
  const size_t n = size();
  const size_t keep_n = std::min(n, budget_bytes / 2 / std::max<size_t>(state_bytes / std::max<size_t>(n, 1), 1));
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep_n), order.end(),
                   [&](uint32_t a, uint32_t b) { return touched_ms_[a] > touched_ms_[b]; });
  std::vector<uint8_t> keep(n, 0);
  for (size_t i = 0; i < keep_n; ++i) keep[order[i]] = 1;
  return keep;
}

namespace {
// Three probes by double hashing: h1 + i * h2.
template <class Fn>
void for_each_probe(uint64_t hash, size_t bits, Fn&& fn) {
  const uint64_t h2 = (hash >> 32 | hash << 32) | 1;
  for (uint64_t i = 0; i < 3; ++i) fn((hash + i * h2) & (bits - 1));
}
}  // namespace

void GroupTable::build_filter(const std::vector<uint64_t>& hashes) {
  size_t bits = 1024;  // 16 bits a key at twice the count: under 1% false positives until it is full
  while (bits < hashes.size() * 32) bits *= 2;
  filter_.assign(bits / 64, 0);
  filter_capacity_ = bits / 16;
  for (uint64_t h : hashes) add_to_filter(h);
}

void GroupTable::add_to_filter(uint64_t hash) {
  for_each_probe(hash, filter_.size() * 64, [&](uint64_t bit) { filter_[bit / 64] |= uint64_t{1} << (bit % 64); });
}

bool GroupTable::maybe_spilled(uint32_t g) const {
  if (spilled_ == 0) return false;
  bool all = true;
  for_each_probe(hashes_[g], filter_.size() * 64,
                 [&](uint64_t bit) { all = all && (filter_[bit / 64] >> (bit % 64) & 1); });
  return all;
}

std::vector<uint32_t> GroupTable::drop(const std::vector<uint8_t>& keep, bool record_removals) {
  std::vector<uint32_t> kept;
  for (uint32_t g = 0; g < hashes_.size(); ++g)
    if (keep[g]) kept.push_back(g);
  if (kept.size() == hashes_.size()) return kept;
  if (changes_.tracking) {
    changes_.changed.resize(hashes_.size());
    std::vector<uint8_t> changed(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) changed[i] = changes_.changed[kept[i]];
    for (uint32_t g = 0; g < hashes_.size() && record_removals; ++g) {
      if (keep[g]) continue;
      changes_.removed.emplace_back();
      encode_key(g, changes_.removed.back());
    }
    changes_.changed = std::move(changed);
  }
  if (touches()) {
    touched_ms_.resize(hashes_.size());
    keep_only(touched_ms_, kept);
  }
  LargeVector<uint64_t> hashes(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) hashes[i] = hashes_[kept[i]];
  hashes_ = std::move(hashes);
  for (auto& k : keys_) {
    // Strings are re-copied so the evicted groups' bytes are freed with the old arena.
    ColumnRef fresh = Column::make(k->type(), kept.size());
    for (uint32_t g : kept) {
      if (k->type().is_string_like() && k->is_valid(g)) fresh->append_string(k->data<std::string_view>()[g]);
      else fresh->append_from(*k, g);
    }
    k = std::move(fresh);
  }
  size_t capacity = 16;
  while (capacity < hashes_.size() * 2 + 2) capacity *= 2;
  rehash(capacity);
  return kept;
}

void GroupTable::encode_key(uint32_t g, std::string& out) const {
  for (auto& k : keys_) codec::put_value(out, *k, g);
}

uint32_t GroupTable::find_or_insert_encoded(std::string_view key) {
  std::vector<ColumnRef> row;
  std::vector<const Column*> columns;
  for (auto& k : keys_) {
    row.push_back(Column::make(k->type(), 1));
    codec::append_value(key, *row.back());
    columns.push_back(row.back().get());
  }
  if (!key.empty()) fail(ErrorKind::Internal, "corrupt state key: trailing bytes");
  uint32_t first = 0, group = 0;
  find_or_insert(columns, &first, 1, &group);
  return group;
}

size_t GroupTable::memory_bytes() const {
  size_t bytes = slots_.capacity() * sizeof(uint32_t) + hashes_.capacity() * sizeof(uint64_t);
  for (auto& k : keys_) {
    bytes += k->capacity() * std::max<size_t>(physical_width(k->id()), 1) + (k->capacity() + 63) / 8;
    if (k->type().is_string_like()) bytes += k->arena().bytes_used();
  }
  return bytes;
}

void save_groups(const GroupTable& table, StateStore& store,
                 const std::function<void(uint32_t g, std::string& value)>& encode) {
  auto& changes = table.changes_;
  if (!changes.tracking) store.clear();
  for (auto& key : changes.removed) store.remove(key);
  changes.changed.resize(table.size());
  std::string key, value;
  for (uint32_t g = 0; g < table.size(); ++g) {
    if (changes.tracking && !changes.changed[g]) continue;
    key.clear();
    value.clear();
    table.encode_key(g, key);
    if (table.has_ttl()) codec::put(value, table.touched_ms_[g]);
    encode(g, value);
    store.put(key, value);
  }
  table.start_tracking();
}

namespace {
// Calls fn with the stored keys decoded into columns like `like`, the rows
// 0..n of the chunk, and their values, a chunk at a time (as batches are).
using StoredChunkFn = std::function<void(const std::vector<const Column*>& keys, const std::vector<uint32_t>& rows,
                                         const std::vector<std::string>& values)>;
void for_each_stored_chunk(const std::vector<ColumnRef>& like, const StateStore& store, const StoredChunkFn& fn) {
  const size_t chunk = batch_rows();
  std::vector<ColumnRef> keys;
  std::vector<std::string> values;
  std::vector<uint32_t> rows;
  auto start_chunk = [&] {
    keys.clear();
    for (auto& k : like) keys.push_back(Column::make(k->type(), chunk));
    values.clear();
  };
  auto finish_chunk = [&] {
    std::vector<const Column*> columns;
    for (auto& k : keys) columns.push_back(k.get());
    rows.resize(values.size());
    std::iota(rows.begin(), rows.end(), 0u);
    if (!values.empty()) fn(columns, rows, values);
    start_chunk();
  };
  start_chunk();
  store.for_each([&](std::string_view key, std::string_view value) {
    for (auto& k : keys) codec::append_value(key, *k);
    if (!key.empty()) fail(ErrorKind::Internal, "corrupt state key: trailing bytes");
    values.emplace_back(value);
    if (values.size() == chunk) finish_chunk();
  });
  finish_chunk();
}
}  // namespace

void decode_stored(GroupTable& table, uint32_t g, std::string_view value,
                   const std::function<void(uint32_t g, std::string_view& value)>& decode) {
  if (table.has_ttl()) table.touched_ms_[g] = codec::get<int64_t>(value);
  decode(g, value);
  if (!value.empty()) fail(ErrorKind::Internal, "corrupt state value: trailing bytes");
}

void load_groups(GroupTable& table, const StateStore& store,
                 const std::function<void(uint32_t g, std::string_view& value)>& decode) {
  std::vector<uint32_t> ids;
  for_each_stored_chunk(table.keys_, store, [&](const std::vector<const Column*>& keys,
                                                const std::vector<uint32_t>& rows,
                                                const std::vector<std::string>& values) {
    const size_t n = values.size();
    ids.resize(n);
    table.find_or_insert(keys, rows.data(), n, ids.data());
    for (size_t i = 0; i < n; ++i) decode_stored(table, ids[i], values[i], decode);
  });
  table.start_tracking();  // the table now holds exactly what the store does
}

size_t reload_new_groups(GroupTable& table, const StateStore& store, uint32_t first,
                         const std::function<void(uint32_t g, std::string_view& value)>& decode, bool touch) {
  size_t reloaded = 0;
  std::string key;
  for (uint32_t g = first; g < table.size() && table.spilled_ > 0; ++g) {
    if (!table.maybe_spilled(g)) continue;
    key.clear();
    table.encode_key(g, key);
    std::optional<std::string> value = store.get(key);
    if (!value) continue;
    decode_stored(table, g, *value, decode);
    if (touch && table.has_ttl()) table.touched_ms_[g] = table.now_ms_;  // a row of this batch found it
    --table.spilled_;
    ++reloaded;
  }
  return reloaded;
}

void reload_spilled(GroupTable& table, const StateStore& store,
                    const std::function<bool(const std::vector<const Column*>& keys, size_t row,
                                             std::string_view value)>& wanted,
                    const std::function<void(uint32_t g, std::string_view& value)>& decode, int64_t expire_at_ms) {
  std::vector<uint32_t> ids, back;
  std::vector<uint64_t> still_spilled;
  table.spilled_min_touched_ms_ = INT64_MAX;
  for_each_stored_chunk(table.keys_, store, [&](const std::vector<const Column*>& keys,
                                                const std::vector<uint32_t>& rows,
                                                const std::vector<std::string>& values) {
    const size_t n = values.size();
    ids.resize(n);
    table.find(keys, rows.data(), n, ids.data());
    back.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (ids[i] != GroupTable::kNoGroup) continue;  // in memory, and maybe newer than the store
      std::string_view value = values[i];
      const int64_t touched = table.has_ttl() ? codec::get<int64_t>(value) : 0;
      const bool expired = table.has_ttl() && touched + table.ttl_ms_ <= expire_at_ms;
      if (expired || wanted(keys, i, value)) {
        back.push_back(i);
        continue;
      }
      still_spilled.push_back(table.row_hashes_[i]);
      if (table.has_ttl()) table.spilled_min_touched_ms_ = std::min(table.spilled_min_touched_ms_, touched);
    }
    ids.resize(back.size());
    table.find_or_insert(keys, back.data(), back.size(), ids.data());
    for (size_t i = 0; i < back.size(); ++i) decode_stored(table, ids[i], values[back[i]], decode);
  });
  table.spilled_ = still_spilled.size();
  table.build_filter(still_spilled);
  // A restart's first scan: from now on a save writes changes (a first save would rewrite the store).
  if (!table.changes_.tracking) table.start_tracking();
}

void reload_expired(GroupTable& table, const StateStore& store, int64_t now_ms,
                    const std::function<void(uint32_t g, std::string_view& value)>& decode) {
  if (table.spilled() == 0 || !table.has_ttl() || table.spilled_min_touched_ms_ > now_ms - table.ttl_ms_) return;
  reload_spilled(table, store, [](const std::vector<const Column*>&, size_t, std::string_view) { return false; },
                 decode, now_ms);
}

}  // namespace runnel
