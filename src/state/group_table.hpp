// GroupTable: the keys of a stateful operator's state — a flat
// open-addressing hash table (linear probing, 32-bit group ids in the slots)
// over key columns that hold one row per group. Groups are numbered densely
// 0..size()-1 in insertion order, so per-group values live in plain typed
// arrays indexed by group id (see ops/aggregate/accumulator.hpp).
//
// This is the seam the checkpoint issue builds on: a group is a row of
// key_columns() plus the operator's per-group values; eviction goes through
// compact(), which tells the owner which groups survive. Keys are compared
// with SQL grouping semantics: null is a group of its own, -0.0 equals 0.0,
// and all NaNs are one group (Spark normalises floating-point keys).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/large_allocator.hpp"
#include "batch/column.hpp"
#include "state/state_store.hpp"

namespace runnel {

class GroupTable {
 public:
  explicit GroupTable(std::vector<DataType> key_types);

  size_t size() const { return hashes_.size(); }
  // Whether row i of `a` and row j of `b` (flat key columns, of one type
  // each) hold keys of one group: null equals null, -0.0 equals 0.0, a NaN
  // equals a NaN.
  static bool same_keys(const std::vector<const Column*>& a, uint32_t i, const std::vector<const Column*>& b,
                        uint32_t j);
  const std::vector<ColumnRef>& key_columns() const { return keys_; }

  // For the rows rows[0..n) of `keys` (columns of the key types), writes each
  // row's group id to group_ids[0..n), inserting the groups not seen yet.
  // Hashes column-at-a-time, then probes.
  void find_or_insert(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n, uint32_t* group_ids);

  // The same lookup without inserting (a join's probe side): kNoGroup for a
  // key not in the table. Touches nothing (no change tracking, no TTL).
  static constexpr uint32_t kNoGroup = UINT32_MAX;
  void find(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n, uint32_t* group_ids);

  // Keeps the groups whose keep[g] is set, renumbered in their old order;
  // returns the old ids of the kept groups (for per-group arrays to gather).
  std::vector<uint32_t> compact(const std::vector<uint8_t>& keep);

  size_t memory_bytes() const;

  // The hash find_or_insert gives each row rows[0..n) of `keys` (valid until
  // the next call), and group g's: for an owner's own index of keys that are
  // not in the table (session windows' spilled keys). Equal keys hash alike
  // within a process, not across processes.
  const std::vector<uint64_t>& hashes(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n) {
    hash_rows(keys, rows, n);
    return row_hashes_;
  }
  uint64_t hash(uint32_t g) const { return hashes_[g]; }

  // Group g's key as bytes (state/codec.hpp), and the group of an encoded key
  // (inserted when new): for saving to and restoring from a StateStore.
  void encode_key(uint32_t g, std::string& out) const;
  uint32_t find_or_insert_encoded(std::string_view key);

  // State TTL (the `state_ttl` step): with a TTL, every group remembers the
  // processing time (ms, set_now() per micro-batch) at which find_or_insert
  // or mark_changed last touched it; the time is part of what save_groups
  // writes, so it survives restarts.
  void set_ttl(int64_t ttl_ms) { ttl_ms_ = ttl_ms; }
  bool has_ttl() const { return ttl_ms_ > 0; }
  // Remembers touch times without a TTL too: the recency spill() goes by.
  void track_recency() { recency_ = true; }
  void set_now(int64_t now_ms) { now_ms_ = now_ms; }
  // Clears keep[g] (sized size()) for the groups untouched for the TTL at
  // `now_ms`; returns how many.
  size_t expire(std::vector<uint8_t>& keep, int64_t now_ms) const;

  // For an owner that changes groups' values other than through
  // find_or_insert (which marks the groups it returns): the next save_groups
  // must write them.
  void mark_changed(const uint32_t* groups, size_t n) { mark_found(groups, n); }

  // Spill (state larger than memory, with a checkpoint): drops the groups
  // whose keep[g] is clear from memory only. The store still holds them as
  // last saved, so this must follow a save; they come back through
  // reload_new_groups and reload_spilled. Returns the kept groups' old ids,
  // as compact() does.
  std::vector<uint32_t> spill(const std::vector<uint8_t>& keep, const StateStore& store);
  // Which groups to keep when `state_bytes` of state (these groups' and
  // their values') must fit a budget: the most recently touched ones, in
  // half of it (room to grow before the next spill). Needs track_recency().
  std::vector<uint8_t> most_recent_within(size_t budget_bytes, size_t state_bytes) const;
  // Groups in the store and not in memory.
  size_t spilled() const { return spilled_; }
  // Whether group g's key may be a spilled one (a Bloom filter of their
  // hashes), so that only those keys are looked up in the store.
  bool maybe_spilled(uint32_t g) const;

 private:
  friend void save_groups(const GroupTable&, StateStore&, const std::function<void(uint32_t, std::string&)>&);
  friend void load_groups(GroupTable&, const StateStore&, const std::function<void(uint32_t, std::string_view&)>&);
  friend void decode_stored(GroupTable&, uint32_t, std::string_view, const std::function<void(uint32_t, std::string_view&)>&);
  friend size_t reload_new_groups(GroupTable&, const StateStore&, uint32_t,
                                  const std::function<void(uint32_t, std::string_view&)>&, bool);
  friend void reload_spilled(GroupTable&, const StateStore&,
                             const std::function<bool(const std::vector<const Column*>&, size_t, std::string_view)>&,
                             const std::function<void(uint32_t, std::string_view&)>&, int64_t);
  friend void reload_expired(GroupTable&, const StateStore&, int64_t, const std::function<void(uint32_t, std::string_view&)>&);

  // What changed since the last save, so a save writes only that (the
  // checkpoint commits every batch; rewriting all state would make a commit
  // cost the state's size). Tracking starts with the first save or load, so a
  // pipeline without a checkpoint never pays for it. Mutable: bookkeeping of
  // the saves, not part of the table's value.
  struct Changes {
    bool tracking = false;
    std::vector<uint8_t> changed;      // per group
    std::vector<std::string> removed;  // encoded keys compact() dropped
  };
  // Marks groups found by a micro-batch: changed (for the next save) and touched (for the TTL).
  void mark_found(const uint32_t* group_ids, size_t n);
  void start_tracking() const;
  bool touches() const { return ttl_ms_ > 0 || recency_; }
  std::vector<uint32_t> drop(const std::vector<uint8_t>& keep, bool record_removals);
  // The spill filter, sized for `hashes` (and as many again), holding them.
  void build_filter(const std::vector<uint64_t>& hashes);
  void add_to_filter(uint64_t hash);

  void hash_rows(const std::vector<const Column*>& keys, const uint32_t* rows, size_t n);
  bool row_equals_group(const std::vector<const Column*>& keys, uint32_t row, uint32_t group) const;
  uint32_t insert(const std::vector<const Column*>& keys, uint32_t row, uint64_t hash);
  // Asks the cache for what the lookups of the rows hashed in row_hashes_[0..n)
  // after row i will read, in stages that each read what the one before
  // brought in: a row's slot, then the hashes and keys of the groups in its
  // probe chain, then the bytes of its first group's string keys.
  void prefetch_ahead(size_t i, size_t n) const;
  void rehash(size_t capacity);

  std::vector<ColumnRef> keys_;   // one row per group
  LargeVector<uint64_t> hashes_;  // per group, so growth never rehashes keys
  LargeVector<uint32_t> slots_;   // group id or kEmpty; size is a power of two
  std::vector<uint64_t> row_hashes_;  // scratch: the hashes of the rows being looked up
  mutable Changes changes_;
  int64_t ttl_ms_ = 0;                // 0: no TTL
  int64_t now_ms_ = 0;
  std::vector<int64_t> touched_ms_;   // per group, with a TTL or recency
  bool recency_ = false;
  size_t spilled_ = 0;
  int64_t spilled_min_touched_ms_ = INT64_MAX;  // with a TTL: the oldest touch among the spilled groups
  std::vector<uint64_t> filter_;      // Bloom filter bits of the spilled keys' hashes
  size_t filter_capacity_ = 0;        // keys the filter is sized for
};

// A per-group array after GroupTable::compact: values[kept[i]] moves to i
// (kept ascending). A group that stays in place is left alone: moving a
// vector onto itself would empty it. `shrink`: a spill or a big eviction
// frees memory; an owner that soon grows back (a join side) keeps it.
template <class T>
void keep_only(std::vector<T>& values, const std::vector<uint32_t>& kept, bool shrink = true) {
  for (size_t i = 0; i < kept.size(); ++i)
    if (kept[i] != i) values[i] = std::move(values[kept[i]]);
  values.erase(values.begin() + static_cast<std::ptrdiff_t>(kept.size()), values.end());
  if (shrink && values.capacity() > 2 * values.size() + 64) values.shrink_to_fit();
}

// Operator state kept per group of a GroupTable: one store entry per group,
// the encoded key and whatever `encode` appends for group g. The first save
// to a store writes every group; later ones only the groups changed since
// and the removal of the groups compact() dropped — so `store` must be the
// same store each time (the one load_groups read, if any).
void save_groups(const GroupTable& table, StateStore& store,
                 const std::function<void(uint32_t g, std::string& value)>& encode);
// The inverse: re-inserts every stored key and lets `decode` consume the
// value of group g; a value with bytes left over is a corrupt state.
void load_groups(GroupTable& table, const StateStore& store,
                 const std::function<void(uint32_t g, std::string_view& value)>& decode);

// Spilled groups back (see GroupTable::spill). Of the groups from `first` on
// (just inserted by find_or_insert), those whose key the store holds take
// its stored value through `decode`; returns how many did. With a TTL they
// count as touched now (a row found them), or with `touch` false keep their
// stored touch time (session windows bring a key's untouched sessions too).
size_t reload_new_groups(GroupTable& table, const StateStore& store, uint32_t first,
                         const std::function<void(uint32_t g, std::string_view& value)>& decode, bool touch = true);
// Scans the store: every stored group not in memory for which wanted(keys,
// row, value) holds (its key decoded into columns, a chunk at a time; the
// value as `decode` gets it) comes back, and with a TTL so does every group
// untouched for the TTL at `expire_at_ms`; the others stay spilled and the
// filter is rebuilt for exactly them. With an empty table (a restart under a
// memory limit) nothing need be loaded.
void reload_spilled(GroupTable& table, const StateStore& store,
                    const std::function<bool(const std::vector<const Column*>& keys, size_t row,
                                             std::string_view value)>& wanted,
                    const std::function<void(uint32_t g, std::string_view& value)>& decode,
                    int64_t expire_at_ms = INT64_MIN);
// With a TTL: brings back the spilled groups that expire() at `now_ms` will
// drop, so that their removal reaches the store (a scan only when the oldest
// spilled touch has run out).
void reload_expired(GroupTable& table, const StateStore& store, int64_t now_ms,
                    const std::function<void(uint32_t g, std::string_view& value)>& decode);

}  // namespace runnel
