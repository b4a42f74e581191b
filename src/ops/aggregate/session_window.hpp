// Session windows for the aggregate step: session_window(ts, gap), Spark's
// session windows (MergingSessionsExec + SessionWindowStateStore*Exec).
//
// A row opens the session [ts, ts + gap) of its other grouping keys; two
// sessions of a key merge when one starts at or before the other's end (Spark's
// MergingSessionsIterator: `start <= current end`, so a row exactly `gap` after
// another joins it), into [min start, max end). Sessions merge across
// micro-batches: a row may extend a stored session or bridge two of them.
//
// A session is a group of the aggregate's GroupTable whose session key column
// holds its start; SessionWindows keeps the rest: each group's end, and per
// value of the other keys the live sessions in start order. Per push it sorts
// the rows by (other keys, start), sweeps them against the stored sessions of
// their key, and tells the aggregate which group each row folds into and which
// stored groups' states to merge first (Accumulator::merge). Groups merged
// away are marked dead until the aggregate compacts its table.
//
// Under state_memory_limit, sessions spill a whole key (the other keys'
// values) at a time: a key in memory has all its sessions here, so a row
// needs the store only when its key is not in memory and an index of the
// spilled keys' hashes says it may be there. The aggregate's table puts the
// session start after the other keys, so the store's entries of one key are
// adjacent, under the encoded other keys: one seek finds them all.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "batch/column.hpp"
#include "state/group_table.hpp"

namespace runnel {

struct SessionSpec {
  int64_t gap_us = 0;   // a literal gap; 0 when the gap is a per-row expression
  std::string gap_text;  // for explain: "5 minutes" or the gap expression

  // Writes the session [starts[i], ends[i]) of each row i < n to starts/ends
  // and the rows that have one to rows; returns how many it wrote. A row has no
  // session when its time is null or its gap (gaps[i] when per-row: a duration
  // string such as '5 minutes') is null, invalid or not positive, as Spark
  // filters them; nor when the time is further from the epoch than
  // kMaxWindowedTimestamp, so session ends never overflow.
  size_t assign(const Column& ts, const Column* gaps, size_t n, int64_t* starts, int64_t* ends, uint32_t* rows) const;
  // "session_window(ts, 5 minutes)" for explain.
  std::string describe(const std::string& column) const;
};

class SessionWindows {
 public:
  // `other_key_types`: the types of the grouping keys besides the session;
  // `position`: the index of the session key among all keys.
  SessionWindows(std::vector<DataType> other_key_types, size_t position);

  // Brings a spilled key's sessions back: inserts into the table the stored
  // groups whose encoded keys start with `prefix` (and sets their ends).
  using LoadKey = std::function<void(std::string_view prefix)>;

  // Folds the sessions of rows rows[0..n) into the stored ones. Row r's
  // session is [starts[r], ends[r]); its keys are row r of `keys` (all the
  // table's key columns, `starts` as a timestamp column at the session
  // position). Inserts new sessions into `table` and writes each row's group to
  // groups[i]. The caller then merges the states of merge_sources() into
  // merge_targets() (pairwise, in order) before folding the rows in. A key
  // that may be spilled comes back through `load` first.
  void assign(GroupTable& table, const std::vector<const Column*>& keys, const int64_t* starts, const int64_t* ends,
              const uint32_t* rows, size_t n, uint32_t* groups, const LoadKey& load);
  const std::vector<uint32_t>& merge_targets() const { return merge_dst_; }
  const std::vector<uint32_t>& merge_sources() const { return merge_src_; }

  int64_t end(uint32_t g) const { return ends_[g]; }
  bool dead(uint32_t g) const { return dead_[g]; }
  bool any_dead() const { return any_dead_; }

  // After the table kept only the groups `kept` (old ids, ascending, see
  // GroupTable::compact): renumbers the ends and rebuilds the index.
  void compact(const GroupTable& table, const std::vector<uint32_t>& kept);
  // After load_state: group g's end (groups are restored one by one), then
  // rebuild() once all are in the table.
  void set_end(uint32_t g, int64_t end);
  void rebuild(const GroupTable& table);

  // Spilling. Sets keep[g] for every session of a key that keeps one, and
  // notes the keys of the others as spilled (before GroupTable::spill).
  void keep_whole_keys(std::vector<uint8_t>& keep);
  // A scan of the store (`keys`: its stored keys decoded, as the table's
  // columns) rebuilds the index: forget_spilled(), then note_spilled for each
  // session staying in the store, then sort_spilled().
  void forget_spilled() { spilled_.clear(); }
  void note_spilled(const std::vector<const Column*>& keys, size_t row);
  void sort_spilled() { std::sort(spilled_.begin(), spilled_.end()); }
  // Takes in the groups from `first` on, just loaded into the table (their
  // ends set through set_end).
  void add_groups(const GroupTable& table, uint32_t first);

  // The session column (struct<start, end> of `type`) of groups[0..n), whose
  // starts are `starts` (the gathered session key column).
  ColumnRef column(const DataType& type, const Column& starts, const uint32_t* groups, size_t n) const;
  size_t memory_bytes() const;

 private:
  struct Merged;  // a session of this push: its rows, stored sessions and group
  void sweep_key(uint32_t key, size_t first, size_t last, const int64_t* starts, const int64_t* ends,
                 const uint32_t* rows, std::vector<Merged>& merged);
  std::vector<const Column*> other_keys(const std::vector<const Column*>& keys) const;
  void reload_keys(GroupTable& table, uint32_t first_key, const LoadKey& load);
  void sort_sessions(std::vector<uint32_t>& list) const;  // by start

  size_t position_;
  GroupTable keys_;                               // the other keys' values
  std::vector<std::vector<uint32_t>> sessions_;  // per key: live groups by start
  std::vector<int64_t> starts_, ends_;           // per group
  std::vector<uint8_t> dead_;                    // per group: merged into another
  bool any_dead_ = false;
  std::vector<uint64_t> spilled_;                // sorted: a key hash per spilled session
  std::vector<uint32_t> merge_dst_, merge_src_;
  std::vector<uint32_t> key_ids_, order_, next_, absorbed_;  // scratch for assign
};

}  // namespace runnel
