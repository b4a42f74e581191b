// Stream-stream join (`join: {with: NAME, ...}` where NAME is a source or
// transform), after Spark's StreamingSymmetricHashJoinExec: both sides
// buffer their rows, keyed by the join key; each new row is matched against
// the other side's buffered rows. The rows of port 0 (this transform's
// stream, the left side) are matched against the right side's buffer, then
// buffered; those of port 1 against the left buffer, then buffered. So every
// pair is found once, when its later row arrives, whichever side's rows of a
// micro-batch come first (and a self-join, whose one batch arrives at both
// ports, pairs each row with itself once).
//
// Keys, residual condition and output columns: ops/join_plan.hpp. Which
// rows a side may drop, from the watermark: ops/join_bounds.hpp. end_batch()
// evicts them with the batch's watermark (all rows at the end of the
// stream); an outer join emits a row of its preserved side(s) that never
// matched, with nulls for the other side, exactly then. Rows at or before
// the previous batch's watermark (on the side's own watermarked column) are
// dropped as late, as Spark's join drops them. Left semi: a left row comes
// out once, at its first match; a left row matched on arrival is not
// buffered (Spark's rule). Types and modes Spark rejects fail at plan time
// with Spark's words.
//
// State: one GroupTable of the keys both sides share (a new row's one lookup
// gives the group it probes and the one it joins); per side, rows in
// append-only columns (strings copied into the buffer's own arena), per group
// its live rows in arrival order, a matched flag, and the rows by eviction
// time (DueRows) so eviction pops only what goes. Evicted rows stay in the columns
// until they outnumber the live ones; then the live rows move down in place
// (the columns keep their memory) and are renumbered, keeping their groups
// (amortised: each row is copied a bounded number of times); keys with no
// rows left on either side are dropped then. A checkpoint keeps one store entry per live row (side,
// sequence number -> matched flag and values: appended in order, so a save
// touches the B-tree's last pages only); a save writes the rows added or
// newly matched since the last one and removes the evicted ones.
// Under state_memory_limit the entries are keyed (side, join key, sequence
// number), so a key's rows are adjacent, and a row with an eviction time also
// has one in an index by that time. The least recently touched keys spill
// with their rows on both sides; a row of a spilled key reads them back (one
// seek per side) before it probes, and the watermark reads back, through the
// index, the keys with rows it evicts.
#include <algorithm>
#include <deque>
#include <functional>
#include <iterator>
#include <numeric>
#include <queue>

#include "base/error.hpp"
#include "ops/join_bounds.hpp"
#include "ops/join_plan.hpp"
#include "plan/steps.hpp"
#include "state/codec.hpp"
#include "state/group_table.hpp"
#include "state/state_store.hpp"

namespace runnel {

namespace {

using namespace join;

constexpr uint32_t kNone = UINT32_MAX;
constexpr int64_t kNoDue = INT64_MIN;  // a row with no eviction time: it goes at the end of the stream

enum Side : int { kLeft = 0, kRight = 1 };

// How one side's rows are evicted: by the key at `key_ordinal` (a window's
// end), or by the side's event-time column plus `offset_us`, or never.
struct Eviction {
  std::optional<size_t> key_ordinal;
  std::optional<int64_t> offset_us;

  bool evicts() const { return key_ordinal || offset_us; }
};

struct SideSpec {
  Side side;
  SchemaRef schema;
  std::optional<size_t> event_time;  // the side's watermarked column
  Eviction eviction;
};

// The microseconds of a timestamp column, or of a window's end.
const Column& time_column(const Column& c) { return c.id() == TypeId::Struct ? *c.children()[1] : c; }

// Rows `rows` of a dense batch, as a dense batch.
Batch take_rows(const Batch& input, const std::vector<uint32_t>& rows) {
  Batch out{input.schema, {}, rows.size(), nullptr};
  for (auto& c : input.columns) out.columns.push_back(c->gather(rows.data(), rows.size()));
  return out;
}

// Row r of src onto dst; strings are copied so the buffer holds no input batch's arena.
void append_value(Column& dst, const Column& src, uint32_t r) {
  if (src.type().is_string_like() && src.is_valid(r))
    return dst.append_string(src.data<std::string_view>()[r]);
  dst.append_from(src, r);
}

template <class T>
void copy_values(Column& dst, size_t base, const Column& src, const std::vector<uint32_t>& rows) {
  T* to = dst.data<T>() + base;
  const T* from = src.data<T>();
  for (size_t k = 0; k < rows.size(); ++k) to[k] = from[rows[k]];
}

// Rows `rows` of src onto dst, a column at a time (nested types: row by row);
// strings are copied into dst's arena, as append_value.
void append_rows(Column& dst, const Column& src, const std::vector<uint32_t>& rows) {
  const TypeId id = src.id();
  if (id == TypeId::Struct || id == TypeId::Array || id == TypeId::Null) {
    for (uint32_t r : rows) append_value(dst, src, r);
    return;
  }
  const size_t base = dst.size();
  // Capacity doubles, as row-by-row appends grow it (an exact fit per batch would copy the column each time).
  if (base + rows.size() > dst.capacity()) dst.reserve(std::max(base + rows.size(), 2 * dst.capacity()));
  dst.resize(base + rows.size());
  if (src.type().is_string_like()) {
    std::string_view* to = dst.data<std::string_view>() + base;
    const std::string_view* from = src.data<std::string_view>();
    Arena& arena = dst.arena();
    for (size_t k = 0; k < rows.size(); ++k)
      if (src.is_valid(rows[k])) to[k] = arena.copy(from[rows[k]]);
  } else if (physical_width(id) == 1) {
    copy_values<uint8_t>(dst, base, src, rows);
  } else if (physical_width(id) == 4) {
    copy_values<uint32_t>(dst, base, src, rows);
  } else {
    copy_values<uint64_t>(dst, base, src, rows);
  }
  if (src.all_valid()) return;
  for (size_t k = 0; k < rows.size(); ++k)
    if (src.is_null(rows[k])) dst.set_null(base + k);
}

// A struct value in the codec: its null flag, then each field's value.
void put_any(std::string& out, const Column& c, size_t r) {
  if (c.id() != TypeId::Struct) return codec::put_value(out, c, r);
  codec::put<uint8_t>(out, c.is_null(r));
  for (auto& f : c.children()) codec::put_value(out, *f, r);
}

// Decoded values of one column: a struct's fields decode into their own columns, joined at the end.
struct ColumnDecoder {
  ColumnRef column;
  std::vector<uint8_t> nulls;  // structs only

  void read(std::string_view& in) {
    if (column->id() != TypeId::Struct) return codec::append_value(in, *column);
    nulls.push_back(codec::get<uint8_t>(in));
    for (auto& f : column->children()) codec::append_value(in, *f);
  }
  ColumnRef finish() {
    if (column->id() != TypeId::Struct) return column;
    const size_t rows = nulls.size();
    ColumnRef s = Column::make(column->type(), rows);
    s->children() = column->children();
    s->resize(rows);
    for (size_t r = 0; r < rows; ++r)
      if (nulls[r]) s->set_null(r);
    return s;
  }
};

// Rows by the watermark that evicts them. A side's rows mostly arrive in
// event-time order: those queue in a FIFO (O(1) each way, no heap walk over
// millions of rows); a row due before the FIFO's last goes to a min-heap.
class DueRows {
 public:
  void push(int64_t due, uint32_t row) {
    if (fifo_.empty() || due >= fifo_.back().first)
      fifo_.emplace_back(due, row);
    else
      heap_.emplace(due, row);
  }

  // Calls fn(row) for every row due at `bound` (in no particular order) and forgets them.
  template <class Fn>
  void pop_due(int64_t bound, Fn&& fn) {
    for (; !fifo_.empty() && fifo_.front().first <= bound; fifo_.pop_front()) fn(fifo_.front().second);
    for (; !heap_.empty() && heap_.top().first <= bound; heap_.pop()) fn(heap_.top().second);
  }

  void clear() {
    fifo_.clear();
    heap_ = {};
  }

  // After a compaction: row r is now moved_to[r] (kNone: gone). The map keeps
  // the rows' order, so the FIFO stays sorted.
  void renumber(const std::vector<uint32_t>& moved_to) {
    std::deque<Due> fifo;
    for (auto [due, row] : fifo_)
      if (moved_to[row] != kNone) fifo.emplace_back(due, moved_to[row]);
    fifo_.swap(fifo);
    decltype(heap_) heap;
    for (; !heap_.empty(); heap_.pop())
      if (moved_to[heap_.top().second] != kNone)
        heap.emplace(heap_.top().first, moved_to[heap_.top().second]);
    heap_.swap(heap);
  }

 private:
  using Due = std::pair<int64_t, uint32_t>;  // (watermark that evicts it, row)
  std::deque<Due> fifo_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
};

// The hashes (GroupTable::hash) of the join keys whose rows are in the
// store only: a sorted multiset (keys sharing a hash keep an entry each), so
// that of a batch's keys new to memory only those that may be spilled are
// looked up. A key brought back leaves it at the next spill (until then it is
// in memory, or, evicted since, a lookup finds nothing).
class SpilledKeys {
 public:
  bool empty() const { return hashes_.empty(); }
  bool may_hold(uint64_t hash) const { return std::binary_search(hashes_.begin(), hashes_.end(), hash); }
  void reloaded(uint64_t hash) { reloaded_.push_back(hash); }
  size_t memory_bytes() const { return (hashes_.capacity() + reloaded_.capacity()) * sizeof(uint64_t); }

  // At a spill: the keys brought back since the last one go, `added` come in.
  [[gnu::cold]] void update(std::vector<uint64_t> added) {
    std::sort(reloaded_.begin(), reloaded_.end());
    std::vector<uint64_t> left;
    std::set_difference(hashes_.begin(), hashes_.end(), reloaded_.begin(), reloaded_.end(), std::back_inserter(left));
    std::sort(added.begin(), added.end());
    hashes_.clear();
    std::merge(left.begin(), left.end(), added.begin(), added.end(), std::back_inserter(hashes_));
    hashes_.shrink_to_fit();
    std::vector<uint64_t>().swap(reloaded_);
  }

 private:
  std::vector<uint64_t> hashes_, reloaded_;
};

// Restore and spill paths are marked cold: run per batch at most, they must not
// take the inlining budget of the probe and buffer loops in this file.

// One side's buffered rows. Their groups are those of the key table both
// sides share (`keys`): a new row's one lookup finds the group it probes on
// the other side and the one it is buffered in.
class SideBuffer {
 public:
  SideBuffer(const JoinPlan& plan, GroupTable& keys, SideSpec spec)
      : plan_(plan), spec_(std::move(spec)), keys_(keys) {
    reset_columns();
  }

  const SideSpec& spec() const { return spec_; }
  const std::vector<ColumnRef>& columns() const { return columns_; }
  size_t rows() const { return group_.size(); }
  size_t live() const { return live_; }
  bool matched(uint32_t r) const { return matched_[r]; }
  void set_matched(uint32_t r) {
    if (matched_[r]) return;
    matched_[r] = 1;
    if (tracking_) dirty_.push_back(r);
  }
  // A batch's matches are all over the buffer: their flags are asked for ahead.
  void set_matched(const std::vector<uint32_t>& rows) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i + kAhead < rows.size()) __builtin_prefetch(&matched_[rows[i + kAhead]], 1);
      set_matched(rows[i]);
    }
  }

  // Calls fn(row) for the live rows of group g, in arrival order (evicted rows are unlinked).
  template <class Fn>
  void for_each_in_group(uint32_t g, Fn&& fn) const {
    if (g < members_.size())  // else only the other side has rows of g yet
      for (uint32_t r : members_[g]) fn(r);
  }
  bool has_rows(uint32_t g) const { return g < members_.size() && !members_[g].empty(); }

  // A batch's rows go to groups all over the heap: each group's list costs two
  // cache misses (its vector, then its rows). A loop over a batch's groups
  // asks, while it handles row i, for the vector of the group kAhead rows on
  // (`far`) and for the rows of the one kAhead / 2 on (`near`; their start to
  // read, their end to append), so both are in cache when it gets there.
  static constexpr size_t kAhead = 32;
  void prefetch(uint32_t far, uint32_t near, bool append) const {
    if (far < members_.size()) __builtin_prefetch(&members_[far]);
    if (near < members_.size()) {
      const std::vector<uint32_t>& rows = members_[near];
      if (append)  // the intent must be a constant
        __builtin_prefetch(rows.data() + rows.size(), 1);
      else
        __builtin_prefetch(rows.data(), 0);
    }
  }

  // Buffers rows[i] of the dense batch `input` (its keys `keys`, row j's group
  // groups[j]) with matched flags matched[i].
  void append(const Batch& input, const std::vector<ColumnRef>& keys, const std::vector<uint32_t>& rows,
              const std::vector<uint8_t>& matched, const std::vector<uint32_t>& groups) {
    if (rows.empty()) return;
    const uint32_t first = static_cast<uint32_t>(group_.size());
    for (size_t c = 0; c < columns_.size(); ++c) append_rows(*columns_[c], *input.columns[c], rows);
    for (size_t i = 0; i < rows.size(); ++i) {
      ids_.push_back(next_id_++);
      matched_.push_back(matched[i]);
      alive_.push_back(1);
    }
    if (tracking_)
      for (size_t i = 0; i < rows.size(); ++i) dirty_.push_back(first + static_cast<uint32_t>(i));
    index(input, keys, rows, first, groups);
  }

  // Marks the rows to evict at `bound` (every row when `all`) dead and returns them.
  std::vector<uint32_t> evict(int64_t bound, bool all) {
    std::vector<uint32_t> gone;
    if (all) {
      for (uint32_t r = 0; r < rows(); ++r)
        if (alive_[r]) gone.push_back(r);
      due_.clear();
    } else {
      due_.pop_due(bound, [&](uint32_t r) {
        if (alive_[r]) gone.push_back(r);
      });
      std::sort(gone.begin(), gone.end());
    }
    for (uint32_t r : gone) {
      alive_[r] = 0;
      if (tracking_) note_removed(r);
    }
    unlink_all(gone);
    live_ -= gone.size();
    return gone;
  }

  // Spill: drops the live rows of the groups whose keep[g] is clear from
  // memory only (the store holds them as just saved, so this follows a save).
  // Returns how many, and lowers min_due to their earliest eviction time.
  [[gnu::cold]] size_t spill(const std::vector<uint8_t>& keep, int64_t& min_due) {
    RUNNEL_ASSERT(tracking_ && dirty_.empty() && removed_.empty());
    size_t dropped = 0;
    for (uint32_t r = 0; r < rows(); ++r) {
      if (!alive_[r] || keep[group_[r]]) continue;
      alive_[r] = 0;
      ++dropped;
      min_due = std::min(min_due, due_of(r));
    }
    for (uint32_t g = 0; g < members_.size(); ++g)
      if (!keep[g]) std::vector<uint32_t>().swap(members_[g]);
    live_ -= dropped;
    if (dropped > 0) compact();
    return dropped;
  }

  // Once dead rows outnumber live ones: keeps only the live rows, in place
  // (they keep their groups: nothing is hashed again). Returns whether it did.
  bool compact_if_sparse() {
    if (rows() - live_ <= live_ && live_ > 0) return false;
    if (rows() == live_) return false;
    compact();
    return true;
  }

  // Keeps only the live rows, renumbered in their order.
  void compact() {
    std::vector<uint32_t>& keep = kept_rows_;
    keep.clear();
    for (uint32_t r = 0; r < rows(); ++r)
      if (alive_[r]) keep.push_back(r);
    for (auto& c : columns_) c->keep_rows(keep.data(), keep.size());
    std::vector<uint32_t>& moved_to = moved_to_;
    moved_to.assign(rows(), kNone);
    for (size_t i = 0; i < keep.size(); ++i) moved_to[keep[i]] = static_cast<uint32_t>(i);
    std::vector<uint32_t> dirty;  // rows not saved yet, renumbered
    for (uint32_t r : dirty_)
      if (moved_to[r] != kNone) dirty.push_back(moved_to[r]);
    dirty_.swap(dirty);
    // Their capacity stays: the side grows back to about this size by the next compaction.
    keep_only(ids_, keep, false);
    keep_only(matched_, keep, false);
    keep_only(group_, keep, false);
    alive_.assign(keep.size(), 1);
    for (auto& group : members_)  // live rows only, so every one moves
      for (uint32_t& r : group) r = moved_to[r];
    due_.renumber(moved_to);
  }

  // After the shared key table's compact(): group kept[i] is now group i.
  void renumber_groups(const std::vector<uint32_t>& kept, size_t old_groups) {
    std::vector<uint32_t> to(old_groups, kNone);
    for (size_t i = 0; i < kept.size(); ++i) to[kept[i]] = static_cast<uint32_t>(i);
    for (uint32_t& g : group_) g = to[g];  // dead rows' groups may be gone: never read
    members_.resize(old_groups);
    keep_only(members_, kept);
  }

  // The rows and their per-group lists (the shared key table is the operator's to count).
  size_t memory_bytes() const {
    size_t bytes =
        rows() * (sizeof(uint64_t) + 2 * sizeof(uint32_t) + 2) + members_.capacity() * sizeof(members_[0]);
    for (auto& c : columns_) {
      bytes += c->capacity() * std::max<size_t>(physical_width(c->id()), 1);
      if (c->type().is_string_like()) bytes += c->arena().bytes_used();
    }
    return bytes;
  }

  // Under a memory limit the store also indexes the rows by eviction time
  // (only spilled rows need it, but a restart cannot tell which those were).
  void keep_index() { indexed_ = true; }

  // The rows added or newly matched since the last save, and the evicted
  // ones. A row's entry is keyed (side, sequence number) or, with the index,
  // (side, join key, sequence number), so one key's rows are adjacent; then a
  // row with an eviction time also has an entry (side's index tag, time,
  // sequence number -> join key), written once.
  void save(StateStore& store) const {
    if (!tracking_) {
      store_clear_side(store);
      dirty_.clear();
      for (uint32_t r = 0; r < rows(); ++r)
        if (alive_[r]) dirty_.push_back(r);
      removed_.clear();
      saved_ids_ = 0;
      tracking_ = true;
    }
    for (const std::string& key : removed_) store.remove(key);
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    std::string group_key, key, value;
    for (uint32_t r : dirty_) {
      if (!alive_[r]) continue;
      group_key.clear();
      if (indexed_) keys_.encode_key(group_[r], group_key);
      value.clear();
      codec::put<uint8_t>(value, matched_[r]);
      for (auto& c : columns_) put_any(value, *c, r);
      store.put(row_key(group_key, ids_[r], key), value);
      if (!indexed_ || ids_[r] < saved_ids_) continue;  // saved before: its index entry is there
      const int64_t due = due_of(r);
      if (due != kNoDue) store.put(index_key(due, ids_[r], key), group_key);
    }
    saved_ids_ = next_id_;
    dirty_.clear();
    removed_.clear();
  }

  // The side's rows from the store (either layout: the sequence number ends
  // the key), grouped in the (shared) key table. With `rewrite` (the store
  // has the other layout) the first save writes the side anew.
  [[gnu::cold]] void load(const StateStore& store, bool rewrite) {
    clear_rows();
    StoredRows stored(spec_);
    store.for_each_with_prefix(std::string(1, side_tag()), [&](std::string_view key, std::string_view value) {
      stored.read(key, value);
    });
    add_stored(stored);
    start_tracking();
    tracking_ = !rewrite;
  }

  // A restart under a memory limit: nothing is loaded, every stored row is a
  // spilled one. Calls fn with each stored join key (encoded, once) and
  // returns the side's stored rows.
  [[gnu::cold]] size_t scan_spilled(const StateStore& store, const std::function<void(std::string_view)>& fn) {
    clear_rows();
    size_t n = 0;
    std::string last;
    for_each_stored_row(store, [&](std::string_view group_key, uint64_t id) {
      next_id_ = std::max(next_id_, id + 1);
      if (n++ == 0 || group_key != last) fn(last.assign(group_key));
    });
    start_tracking();
    return n;
  }

  // Calls fn(encoded join key) for the side's stored rows (a key once).
  [[gnu::cold]] void for_each_stored_key(const StateStore& store, const std::function<void(std::string_view)>& fn) const {
    bool first = true;
    std::string last;
    for_each_stored_row(store, [&](std::string_view group_key, uint64_t) {
      if (std::exchange(first, false) || group_key != last) fn(last.assign(group_key));
    });
  }

  // Calls fn(encoded join key) for each stored row evicted at `bound` (a range of the index, no more).
  [[gnu::cold]] void for_each_due_key(const StateStore& store, int64_t bound,
                        const std::function<void(std::string_view)>& fn) const {
    std::string begin, end;
    index_key(kNoDue, 0, begin);
    index_key(bound, UINT64_MAX, end);
    end.push_back('\0');  // just past (bound, any sequence number)
    store.for_each_in_range(begin, end, [&](std::string_view, std::string_view group_key) { fn(group_key); });
  }

  // The stored rows of the join keys `group_keys` (encoded; keys not in
  // memory) back into memory; found[i] is set when key i had some. Returns how many.
  [[gnu::cold]] size_t reload(const StateStore& store, const std::vector<std::string>& group_keys, std::vector<uint8_t>& found) {
    StoredRows stored(spec_);
    std::string prefix;
    for (size_t i = 0; i < group_keys.size(); ++i) {
      prefix.assign(1, side_tag()).append(group_keys[i]);
      const size_t before = stored.ids.size();
      store.for_each_with_prefix(prefix, [&](std::string_view key, std::string_view value) {
        stored.read(key, value);
      });
      if (stored.ids.size() > before) found[i] = 1;
    }
    return add_stored(stored);
  }

 private:
  // Rows mostly go oldest first, so r is found near the front of its group.
  void unlink(uint32_t r) {
    std::vector<uint32_t>& rows = members_[group_[r]];
    rows.erase(std::find(rows.begin(), rows.end(), r));
  }
  // Each row's group list costs two cache misses: asked for ahead, as index() does.
  void unlink_all(const std::vector<uint32_t>& gone) {
    for (size_t i = 0; i < gone.size(); ++i) {
      if (i + kAhead < gone.size()) prefetch(group_[gone[i + kAhead]], group_[gone[i + kAhead / 2]], false);
      unlink(gone[i]);
    }
  }

  char side_tag() const { return spec_.side == kLeft ? 'L' : 'R'; }

  char index_tag() const { return spec_.side == kLeft ? 'l' : 'r'; }

  static void put_big_endian(std::string& out, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  static uint64_t get_big_endian(std::string_view in) {
    uint64_t v = 0;
    for (char c : in) v = v << 8 | static_cast<uint8_t>(c);
    return v;
  }

  // Side tag, encoded join key (with the index only, else empty), sequence
  // number big-endian: a key's rows adjacent, in arrival order. Without the
  // index new rows append at the B-tree's end: a commit copies few pages.
  const std::string& row_key(std::string_view group_key, uint64_t id, std::string& key) const {
    key.assign(1, side_tag()).append(group_key);
    put_big_endian(key, id);
    return key;
  }

  // Index tag, eviction time (sign flipped: big-endian bytes sort as the
  // numbers do), sequence number: the side's rows by the watermark that evicts them.
  const std::string& index_key(int64_t due, uint64_t id, std::string& key) const {
    key.assign(1, index_tag());
    put_big_endian(key, static_cast<uint64_t>(due) ^ (uint64_t{1} << 63));
    put_big_endian(key, id);
    return key;
  }

  // The watermark that evicts row r (kNoDue: only the end), as index() had
  // it: the side's event time plus the offset, or the time in the row's key,
  // which the key table keeps (a window key's end: its second field).
  int64_t due_of(uint32_t r) const {
    const Eviction& e = spec_.eviction;
    const Column* time = nullptr;
    size_t at = r;
    int64_t offset = 0;
    if (e.key_ordinal) {
      size_t flat = 0;
      for (size_t k = 0; k < *e.key_ordinal; ++k) flat += std::max<size_t>(plan_.keys[k].type.fields.size(), 1);
      if (plan_.keys[*e.key_ordinal].type.id == TypeId::Struct) ++flat;
      time = keys_.key_columns()[flat].get();
      at = group_[r];
    } else if (e.offset_us && spec_.event_time) {
      time = &time_column(*columns_[*spec_.event_time]);
      offset = *e.offset_us;
    }
    return time && time->is_valid(at) ? time->data<int64_t>()[at] - offset : kNoDue;
  }

  // The store keys of evicted row r, for the next save to remove.
  void note_removed(uint32_t r) {
    std::string group_key, key;
    if (indexed_) keys_.encode_key(group_[r], group_key);
    removed_.push_back(row_key(group_key, ids_[r], key));
    const int64_t due = indexed_ ? due_of(r) : kNoDue;
    if (due != kNoDue) removed_.push_back(index_key(due, ids_[r], key));
  }

  // fn(encoded join key, sequence number) for each stored row of the side, in key order.
  [[gnu::cold]] void for_each_stored_row(const StateStore& store,
                           const std::function<void(std::string_view, uint64_t)>& fn) const {
    store.for_each_with_prefix(std::string(1, side_tag()), [&](std::string_view key, std::string_view) {
      if (key.size() < 9) fail(ErrorKind::Internal, "corrupt join state: short key");
      fn(key.substr(1, key.size() - 9), get_big_endian(key.substr(key.size() - 8)));
    });
  }

  // Before the first save: the store holds an older run's rows.
  [[gnu::cold]] void store_clear_side(StateStore& store) const {
    std::vector<std::string> keys;
    for (char tag : {side_tag(), index_tag()})
      store.for_each_with_prefix(std::string(1, tag),
                                 [&](std::string_view key, std::string_view) { keys.emplace_back(key); });
    for (auto& k : keys) store.remove(k);
  }

  void clear_rows() {
    reset_columns();
    group_.clear();
    members_.clear();
    ids_.clear();
    matched_.clear();
    alive_.clear();
    due_.clear();
    live_ = 0;
    next_id_ = 0;
  }

  void start_tracking() {
    dirty_.clear();
    removed_.clear();
    tracking_ = true;
    saved_ids_ = next_id_;
  }

  // Stored rows being read back: their values decoded into columns, their sequence numbers and flags.
  struct StoredRows {
    std::vector<ColumnDecoder> decoders;
    std::vector<uint64_t> ids;
    std::vector<uint8_t> matched;

    explicit StoredRows(const SideSpec& spec) {
      for (auto& f : spec.schema->fields) decoders.push_back({Column::make(f.type), {}});
    }
    void read(std::string_view key, std::string_view value) {
      if (key.size() < 9) fail(ErrorKind::Internal, "corrupt join state: short key");
      ids.push_back(get_big_endian(key.substr(key.size() - 8)));
      matched.push_back(codec::get<uint8_t>(value));
      for (auto& d : decoders) d.read(value);
      if (!value.empty()) fail(ErrorKind::Internal, "corrupt join state: trailing bytes");
    }
  };

  // Appends stored rows (already in the store: nothing to save) and groups them. Returns how many.
  [[gnu::cold]] size_t add_stored(StoredRows& stored) {
    const size_t n = stored.ids.size();
    if (n == 0) return 0;
    std::vector<ColumnRef> values;
    for (auto& d : stored.decoders) values.push_back(d.finish());
    Batch batch{spec_.schema, values, n, nullptr};
    std::vector<uint32_t> rows(n);
    std::iota(rows.begin(), rows.end(), 0u);
    const uint32_t first = static_cast<uint32_t>(group_.size());
    for (size_t c = 0; c < columns_.size(); ++c) append_rows(*columns_[c], *values[c], rows);
    for (size_t i = 0; i < n; ++i) next_id_ = std::max(next_id_, stored.ids[i] + 1);
    ids_.insert(ids_.end(), stored.ids.begin(), stored.ids.end());
    matched_.insert(matched_.end(), stored.matched.begin(), stored.matched.end());
    alive_.resize(alive_.size() + n, 1);
    const std::vector<ColumnRef> keys = key_columns(plan_.keys, spec_.side == kRight, batch, {});
    std::vector<uint32_t> groups(n);
    keys_.find_or_insert(flat_key_columns(keys), rows.data(), n, groups.data());
    index(batch, keys, rows, first, groups);
    return n;
  }

  void reset_columns() {
    columns_.clear();
    for (auto& f : spec_.schema->fields) columns_.push_back(Column::make(f.type));
  }

  // Chains and eviction times of new rows first.. (rows[i] of `input`, in group groups[rows[i]]).
  void index(const Batch& input, const std::vector<ColumnRef>& keys, const std::vector<uint32_t>& rows,
             uint32_t first, const std::vector<uint32_t>& groups) {
    const size_t n = rows.size();
    members_.resize(keys_.size());
    const Column* time = nullptr;
    int64_t offset = 0;
    if (spec_.eviction.key_ordinal)
      time = &time_column(*keys[*spec_.eviction.key_ordinal]);
    else if (spec_.eviction.offset_us && spec_.event_time) {
      time = &time_column(*input.columns[*spec_.event_time]);
      offset = *spec_.eviction.offset_us;
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) prefetch(groups[rows[i + kAhead]], groups[rows[i + kAhead / 2]], true);
      const uint32_t r = first + static_cast<uint32_t>(i), g = groups[rows[i]];
      group_.push_back(g);
      members_[g].push_back(r);
      // Evicted once the watermark reaches time - offset (a null time: only at the end).
      if (time && time->is_valid(rows[i])) due_.push(time->data<int64_t>()[rows[i]] - offset, r);
    }
    live_ += n;
  }

  const JoinPlan& plan_;
  SideSpec spec_;
  std::vector<ColumnRef> columns_;
  GroupTable& keys_;
  std::vector<uint32_t> group_;  // per row
  // Per group, its live rows in arrival order: a probe reads a group's rows
  // from one array, not by chasing a link per row through the whole buffer.
  std::vector<std::vector<uint32_t>> members_;
  std::vector<uint64_t> ids_;  // per row: its sequence number (in its store key)
  std::vector<uint8_t> matched_, alive_;
  size_t live_ = 0;
  DueRows due_;
  std::vector<uint32_t> kept_rows_, moved_to_;  // compact()'s, kept: the next one needs about as many
  uint64_t next_id_ = 0;
  // What the next save writes; mutable: bookkeeping of the saves, not part of the state's value.
  mutable bool tracking_ = false;
  // Rows added or newly matched; listed once tracking (the first save lists every live row).
  mutable std::vector<uint32_t> dirty_;
  mutable std::vector<std::string> removed_;  // store keys of evicted rows
  mutable uint64_t saved_ids_ = 0;            // rows numbered below it have their index entry
  bool indexed_ = false;                      // whether the store indexes the rows by eviction time
};

class StreamJoinOperator final : public Operator {
 public:
  StreamJoinOperator(JoinPlan plan, SideSpec left, SideSpec right, std::string with)
      : plan_(std::move(plan)),
        keys_(flat_key_types(plan_.keys)),
        sides_{SideBuffer(plan_, keys_, std::move(left)), SideBuffer(plan_, keys_, std::move(right))},
        with_(std::move(with)) {
    progress_.operator_name = "symmetricHashJoin";
  }

  SchemaRef output_schema() const override { return plan_.output_schema; }
  bool stateful() const override { return true; }

  std::string set_output_mode(OutputMode mode) override {
    if (mode == OutputMode::Append) return "";
    return std::string("Join between two streaming DataFrames/Datasets is not supported in ") +
           (mode == OutputMode::Update ? "Update" : "Complete") + " output mode, only in Append output mode";
  }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    push_port(0, ctx, batch, out);
  }

  void push_port(int port, const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    const Side side = port == 0 ? kLeft : kRight;
    Batch input = pre_filter(ctx, side, drop_late(ctx, side, batch.dense()), out);
    if (input.num_rows == 0) return;
    std::vector<ColumnRef> keys = key_columns(plan_.keys, side == kRight, input, ctx.eval);
    const uint32_t known = static_cast<uint32_t>(keys_.size());
    keys_.set_now(ctx.batch_id);  // a key's touch time, for the recency a spill goes by: its last batch
    group_rows(keys, input.num_rows);
    if (!spilled_keys_.empty()) reload_new_keys(known);
    std::vector<uint32_t>& mine = mine_;
    std::vector<uint32_t>& theirs = theirs_;
    probe(side, keys, input.num_rows, mine, theirs);
    SideBuffer& other = sides_[1 - side];
    const bool left = side == kLeft;
    keep_residual(plan_, ctx.eval, left ? input.columns : other.columns(),
                  left ? input.num_rows : other.rows(), left ? other.columns() : input.columns,
                  left ? other.rows() : input.num_rows, left ? mine : theirs, left ? theirs : mine);
    std::vector<uint8_t>& matched = matched_;
    matched.assign(input.num_rows, 0);
    for (uint32_t i : mine) matched[i] = 1;
    emit_matches(side, input, mine, theirs, matched, out);
    other.set_matched(theirs);
    buffer(side, input, keys, matched);
  }

  void end_batch(const BatchContext& ctx, const Emit& out) override {
    if (ctx.watermark_us != kNoWatermark || ctx.end_of_stream) {
      reload_due(ctx);  // both sides' first: a key's rows come back on both sides together
      for (Side side : {kLeft, kRight}) evict(ctx, side, out);
    }
    eviction_watermark_ = ctx.watermark_us;
    progress_.rows_total = sides_[kLeft].live() + sides_[kRight].live() + spilled_rows_[kLeft] + spilled_rows_[kRight];
    progress_.rows_updated = std::exchange(rows_updated_, 0);
    progress_.rows_dropped_by_watermark = std::exchange(rows_late_, 0);
    progress_.memory_used_bytes = memory_bytes();
  }

  // Spark's shouldRunAnotherBatch: a watermark move runs a batch when a side's state is evicted by it.
  bool needs_batch(int64_t next_watermark_us) const override {
    const bool evicts = sides_[kLeft].spec().eviction.evicts() || sides_[kRight].spec().eviction.evicts();
    return evicts && next_watermark_us != kNoWatermark && next_watermark_us > eviction_watermark_;
  }

  // Spark's produceOutputWatermark: the lesser of the sides' eviction bounds (a key bound is the watermark).
  int64_t output_watermark_lag_us() const override {
    int64_t lag = 0;
    for (auto& s : sides_) {
      const Eviction& e = s.spec().eviction;
      if (!e.key_ordinal && e.offset_us && s.spec().event_time) lag = std::max(lag, -*e.offset_us);
    }
    return lag;
  }

  std::optional<StateOperatorProgress> state_progress() const override { return progress_; }

  void save_state(StateStore& store) const override {
    for (auto& s : sides_) s.save(store);
    if (spills() == index_marked_) return;
    if (spills())
      store.put(kIndexMarker, "");
    else
      store.remove(kIndexMarker);
    index_marked_ = spills();
  }

  [[gnu::cold]] void load_state(const StateStore& store) override {
    keys_ = GroupTable(flat_key_types(plan_.keys));
    index_marked_ = store.get(kIndexMarker).has_value();
    // The marker says the rows are keyed by join key and indexed by eviction time. Without it a limit
    // cannot find spilled rows: all is loaded and the first save rewrites them so (spilled after that
    // commit); a run without a limit finding it rewrites them by sequence number likewise.
    if (!spills() || !index_marked_) {
      if (spills()) keys_.track_recency();
      for (auto& s : sides_) s.load(store, spills() != index_marked_);
      return;
    }
    // Under a limit nothing is loaded: rows and the watermark bring keys back as they need them.
    keys_.track_recency();
    spill_store_ = &store;
    std::vector<std::string> stored;
    for (Side side : {kLeft, kRight})
      spilled_rows_[side] = sides_[side].scan_spilled(store, [&](std::string_view key) { stored.emplace_back(key); });
    spilled_due_[kLeft] = spilled_due_[kRight] = kNoWatermark;  // unknown: the first watermark looks
    spilled_keys_.update(hashes_of(std::move(stored)));
  }

  void set_state_memory(size_t budget_bytes) override {
    state_memory_ = budget_bytes;
    keys_.track_recency();
    for (auto& s : sides_) s.keep_index();
  }

  // Keeps the most recently touched keys, each with its rows on both sides; the rest stay in the store only.
  [[gnu::cold]] void spill(const StateStore& store) override {
    const size_t bytes = memory_bytes();
    if (!spills() || keys_.size() == 0 || bytes <= state_memory_) return;
    spill_store_ = &store;
    const std::vector<uint8_t> keep = keys_.most_recent_within(state_memory_, bytes);
    std::vector<uint64_t> spilled;
    for (uint32_t g = 0; g < keys_.size(); ++g)
      if (!keep[g] && (sides_[kLeft].has_rows(g) || sides_[kRight].has_rows(g))) spilled.push_back(keys_.hash(g));
    for (Side side : {kLeft, kRight}) spilled_rows_[side] += sides_[side].spill(keep, spilled_due_[side]);
    const size_t groups = keys_.size();
    const std::vector<uint32_t> kept = keys_.compact(keep);
    for (auto& s : sides_) s.renumber_groups(kept, groups);
    spilled_keys_.update(std::move(spilled));
  }

  std::string explain() const override {
    const std::string keys = describe_keys(plan_), residual = describe_residual(plan_);
    return "StreamingSymmetricHashJoin " + std::string(join_type_name(plan_.type)) + " (with " + with_ +
           ") [keys: " + keys + "]" + (residual.empty() ? "" : " [condition: " + residual + "]") +
           " [left state: " + describe_eviction(kLeft) + "] [right state: " + describe_eviction(kRight) + "]";
  }

 private:
  bool spills() const { return state_memory_ > 0; }

  size_t memory_bytes() const {
    return keys_.memory_bytes() + sides_[kLeft].memory_bytes() + sides_[kRight].memory_bytes() +
           spilled_keys_.memory_bytes();
  }

  // The hashes of encoded join keys (each once).
  [[gnu::cold]] std::vector<uint64_t> hashes_of(std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<uint64_t> hashes;
    const size_t chunk = batch_rows();
    for (size_t from = 0; from < keys.size(); from += chunk) {
      const size_t n = std::min(chunk, keys.size() - from);
      std::vector<ColumnRef> columns;
      for (auto& k : keys_.key_columns()) columns.push_back(Column::make(k->type(), n));
      for (size_t i = from; i < from + n; ++i) {
        std::string_view key = keys[i];
        for (auto& c : columns) codec::append_value(key, *c);
        if (!key.empty()) fail(ErrorKind::Internal, "corrupt join state: trailing key bytes");
      }
      std::vector<const Column*> flat;
      for (auto& c : columns) flat.push_back(c.get());
      std::vector<uint32_t> rows(n);
      std::iota(rows.begin(), rows.end(), 0u);
      const std::vector<uint64_t>& h = keys_.hashes(flat, rows.data(), n);
      hashes.insert(hashes.end(), h.begin(), h.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return hashes;
  }

  // The keys of a batch new to memory (groups from `first` on) that may be spilled: their rows back.
  [[gnu::cold]] void reload_new_keys(uint32_t first) {
    std::vector<std::string> keys;
    std::vector<uint32_t> groups;
    for (uint32_t g = first; g < keys_.size(); ++g) {
      if (!spilled_keys_.may_hold(keys_.hash(g))) continue;
      keys.emplace_back();
      keys_.encode_key(g, keys.back());
      // emplace_back, here and in reload_due: more calls of vector<uint32_t>::push_back in this
      // file and GCC stops inlining it in index(), the buffer's per-row loop (callgrind: +1.7%).
      groups.emplace_back(g);
    }
    reload_keys(keys, groups);
  }

  // Before eviction: the spilled keys with rows this batch evicts come back
  // (at the end of the stream all of them), so that eviction and the outer
  // join's null rows go exactly as if they had stayed in memory.
  [[gnu::cold]] void reload_due(const BatchContext& ctx) {
    if (spilled_rows_[kLeft] + spilled_rows_[kRight] == 0) return;
    const bool all = ctx.end_of_stream || ctx.watermark_us == kEndOfTime;
    keys_.set_now(ctx.batch_id);
    const uint32_t known = static_cast<uint32_t>(keys_.size());
    std::vector<std::string> keys;
    std::vector<uint32_t> groups;
    auto note = [&](std::string_view key) {  // a key not in memory, once
      const uint32_t g = keys_.find_or_insert_encoded(key);
      if (g != known + groups.size()) return;
      keys.emplace_back(key);
      groups.emplace_back(g);
    };
    for (Side side : {kLeft, kRight}) {
      const SideBuffer& s = sides_[side];
      if (all) {
        s.for_each_stored_key(*spill_store_, note);
      } else if (s.spec().eviction.evicts() && spilled_due_[side] <= ctx.watermark_us) {
        s.for_each_due_key(*spill_store_, ctx.watermark_us, note);
        spilled_due_[side] = ctx.watermark_us + 1;
      }
    }
    reload_keys(keys, groups);
  }

  // The stored rows of spilled keys `keys` (encoded; in memory as groups `groups`, with no rows yet), both sides.
  [[gnu::cold]] void reload_keys(const std::vector<std::string>& keys, const std::vector<uint32_t>& groups) {
    if (keys.empty()) return;
    std::vector<uint8_t> found(keys.size(), 0);
    for (Side side : {kLeft, kRight}) spilled_rows_[side] -= sides_[side].reload(*spill_store_, keys, found);
    for (size_t i = 0; i < keys.size(); ++i)
      if (found[i]) spilled_keys_.reloaded(keys_.hash(groups[i]));
  }

  // Drops the rows at or before the previous batch's watermark on the side's own event-time column.
  Batch drop_late(const BatchContext& ctx, Side side, Batch input) {
    const auto& event_time = sides_[side].spec().event_time;
    if (!event_time || ctx.late_watermark_us == kNoWatermark) return input;
    const Column& time = time_column(*input.columns[*event_time]);
    const int64_t* micros = time.data<int64_t>();
    std::vector<uint32_t> kept;
    for (uint32_t r = 0; r < input.num_rows; ++r)
      if (time.is_null(r) || micros[r] > ctx.late_watermark_us) kept.push_back(r);
    if (kept.size() == input.num_rows) return input;
    rows_late_ += input.num_rows - kept.size();
    return take_rows(input, kept);
  }

  // Spark's pre-join filter: a row failing a condition on its own side's
  // columns can match nothing, so it is not buffered; on a preserved side of
  // an outer join it comes out with nulls at once. Returns the other rows.
  Batch pre_filter(const BatchContext& ctx, Side side, Batch input, const Emit& out) {
    const auto& filters = plan_.side_filter[side];
    if (filters.empty() || input.num_rows == 0) return input;
    std::vector<uint8_t> pass(input.num_rows, 1);
    and_conditions(filters, input, ctx.eval, pass);
    std::vector<uint32_t> kept, failed;
    for (uint32_t r = 0; r < input.num_rows; ++r) (pass[r] ? kept : failed).push_back(r);
    if (failed.empty()) return input;
    if (preserves(side)) emit_with_nulls(side, input.columns, input.num_rows, failed, out);
    return take_rows(input, kept);
  }

  // groups_[i]: the group of row i of `keys` (n rows) in the shared key table, inserted when new.
  void group_rows(const std::vector<ColumnRef>& keys, size_t n) {
    if (all_rows_.size() < n) {
      all_rows_.resize(n);
      std::iota(all_rows_.begin(), all_rows_.end(), 0u);
    }
    groups_.resize(n);
    keys_.find_or_insert(flat_key_columns(keys), all_rows_.data(), n, groups_.data());
  }

  // The (new row, buffered row of the other side) pairs with equal keys (the
  // rows' groups: groups_). Left semi, right rows probing: only left rows not matched yet.
  void probe(Side side, const std::vector<ColumnRef>& keys, size_t n, std::vector<uint32_t>& mine,
             std::vector<uint32_t>& theirs) {
    const SideBuffer& other = sides_[1 - side];
    const bool unmatched_only = plan_.type == JoinType::LeftSemi && side == kRight;
    mine.clear();
    theirs.clear();
    const bool nulls = std::any_of(keys.begin(), keys.end(), [](const ColumnRef& k) { return !k->all_valid(); });
    for (uint32_t i = 0; i < n; ++i) {
      if (i + SideBuffer::kAhead < n)
        other.prefetch(groups_[i + SideBuffer::kAhead], groups_[i + SideBuffer::kAhead / 2], false);
      if (nulls && has_null_key(plan_.keys, keys, i)) continue;
      other.for_each_in_group(groups_[i], [&](uint32_t r) {
        if (unmatched_only && other.matched(r)) return;
        mine.push_back(i);
        theirs.push_back(r);
      });
    }
  }

  void emit_matches(Side side, const Batch& input, const std::vector<uint32_t>& mine,
                    const std::vector<uint32_t>& theirs, const std::vector<uint8_t>& matched,
                    const Emit& out) {
    if (mine.empty()) return;
    const SideBuffer& other = sides_[1 - side];
    if (plan_.type == JoinType::LeftSemi) return emit_semi(side, input, theirs, matched, out);
    const bool left = side == kLeft;
    Batch result =
        output_pairs(plan_, left ? input.columns : other.columns(), left ? input.num_rows : other.rows(),
                     left ? other.columns() : input.columns, left ? other.rows() : input.num_rows,
                     left ? mine : theirs, left ? theirs : mine);
    out(result);
  }

  // Left semi: each left row once, at its first match (a new left row, or a buffered one a right row
  // matched).
  void emit_semi(Side side, const Batch& input, const std::vector<uint32_t>& theirs,
                 const std::vector<uint8_t>& matched, const Emit& out) {
    std::vector<uint32_t> rows;
    if (side == kLeft) {
      for (uint32_t i = 0; i < input.num_rows; ++i)
        if (matched[i]) rows.push_back(i);
    } else {
      rows = theirs;
      std::sort(rows.begin(), rows.end());
      rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    }
    const SideBuffer& left = sides_[kLeft];
    const bool from_input = side == kLeft;
    Batch result = output_pairs(plan_, from_input ? input.columns : left.columns(),
                                from_input ? input.num_rows : left.rows(), {}, 0, rows, {});
    out(result);
  }

  void buffer(Side side, const Batch& input, const std::vector<ColumnRef>& keys,
              const std::vector<uint8_t>& matched) {
    const bool skip_matched = plan_.type == JoinType::LeftSemi && side == kLeft;
    std::vector<uint32_t>& rows = buffered_rows_;
    std::vector<uint8_t>& flags = buffered_flags_;
    rows.clear();
    flags.clear();
    for (uint32_t i = 0; i < input.num_rows; ++i) {
      if (skip_matched && matched[i]) continue;
      rows.push_back(i);
      flags.push_back(matched[i]);
    }
    sides_[side].append(input, keys, rows, flags, groups_);
    rows_updated_ += rows.size();
  }

  bool preserves(Side side) const {
    if (plan_.type == JoinType::FullOuter) return true;
    return plan_.type == (side == kLeft ? JoinType::LeftOuter : JoinType::RightOuter);
  }

  // Rows `rows` of one side's columns, the other side's columns null.
  void emit_with_nulls(Side side, const std::vector<ColumnRef>& columns, size_t num_rows,
                       const std::vector<uint32_t>& rows, const Emit& out) const {
    if (rows.empty()) return;
    const std::vector<uint32_t> none(rows.size(), kNoMatch);
    const SideBuffer& other = sides_[1 - side];
    const bool left = side == kLeft;
    Batch result = output_pairs(plan_, left ? columns : other.columns(), left ? num_rows : other.rows(),
                                left ? other.columns() : columns, left ? other.rows() : num_rows,
                                left ? rows : none, left ? none : rows);
    out(result);
  }

  // Evicts what the watermark lets go; an outer join's unmatched rows come out with nulls.
  void evict(const BatchContext& ctx, Side side, const Emit& out) {
    SideBuffer& buffer = sides_[side];
    const Eviction& e = buffer.spec().eviction;
    if (!ctx.end_of_stream && !e.evicts()) return;
    std::vector<uint32_t> gone =
        buffer.evict(ctx.watermark_us, ctx.end_of_stream || ctx.watermark_us == kEndOfTime);
    if (preserves(side)) {
      std::vector<uint32_t> unmatched;
      for (uint32_t r : gone)
        if (!buffer.matched(r)) unmatched.push_back(r);
      emit_with_nulls(side, buffer.columns(), buffer.rows(), unmatched, out);
    }
    if (buffer.compact_if_sparse()) compact_keys_if_sparse();
  }

  // Once most keys have no buffered row on either side: drops those (else the
  // table would keep every key ever seen). Checked when a side compacts, so
  // the pass over the groups is paid for by the evictions.
  void compact_keys_if_sparse() {
    const size_t groups = keys_.size();
    std::vector<uint8_t> keep(groups);
    size_t used = 0;
    for (uint32_t g = 0; g < groups; ++g)
      used += keep[g] = sides_[kLeft].has_rows(g) || sides_[kRight].has_rows(g);
    if (groups - used <= used) return;
    const std::vector<uint32_t> kept = keys_.compact(keep);
    for (auto& s : sides_) s.renumber_groups(kept, groups);
  }

  std::string describe_eviction(Side side) const {
    const SideSpec& s = sides_[side].spec();
    if (s.eviction.key_ordinal) {
      const JoinKey& key = plan_.keys[*s.eviction.key_ordinal];
      return (side == kLeft ? key.left : key.right)->name() + (key.type.id == TypeId::Struct ? ".end" : "") +
             " <= watermark";
    }
    if (!s.eviction.offset_us || !s.event_time) return "kept (no bound)";
    const int64_t ms = *s.eviction.offset_us / 1000;
    return (*s.schema)[*s.event_time].name + " <= watermark" +
           (ms == 0 ? "" : (ms > 0 ? " + " : " - ") + std::to_string(ms < 0 ? -ms : ms) + " ms");
  }

  JoinPlan plan_;
  GroupTable keys_;  // both sides' keys; a group's rows are listed per side
  SideBuffer sides_[2];
  std::string with_;
  std::vector<uint32_t> groups_;    // per row of the batch being pushed: its group
  std::vector<uint32_t> all_rows_;  // 0, 1, 2, ...: the rows find_or_insert takes
  // A push's pairs (its rows, the other side's), its rows' matched flags, the
  // rows it buffers and their flags: kept, so a batch does not fault in fresh pages.
  std::vector<uint32_t> mine_, theirs_, buffered_rows_;
  std::vector<uint8_t> matched_, buffered_flags_;
  int64_t eviction_watermark_ = kNoWatermark;
  uint64_t rows_updated_ = 0, rows_late_ = 0;  // this micro-batch
  // Spill (state_memory_limit): the store that holds the spilled keys' rows,
  // those keys, and per side their row count and a lower bound of their
  // eviction times (past it, the watermark looks in the store's index).
  size_t state_memory_ = 0;
  // The store's entry that says it indexes the rows by eviction time (written with the index, removed with it).
  static constexpr std::string_view kIndexMarker = "I";
  mutable bool index_marked_ = false;
  const StateStore* spill_store_ = nullptr;
  SpilledKeys spilled_keys_;
  size_t spilled_rows_[2] = {0, 0};
  int64_t spilled_due_[2] = {kEndOfTime, kEndOfTime};
  StateOperatorProgress progress_;
};

// ---- planning ----

// An equality key on a side's watermarked column, a timestamp or a window (Spark's
// isWatermarkInJoinKeys): its ordinal.
std::optional<size_t> event_time_key(const JoinPlan& plan, std::optional<size_t> left,
                                     std::optional<size_t> right) {
  for (size_t k = 0; k < plan.keys.size(); ++k) {
    const JoinKey& key = plan.keys[k];
    const bool timed =
        key.type.id == TypeId::Timestamp || (key.type.id == TypeId::Struct && key.type.fields.size() >= 2 &&
                                             key.type.fields[1].type.id == TypeId::Timestamp);
    if (timed &&
        ((left && key.left->column_index() == left) || (right && key.right->column_index() == right)))
      return k;
  }
  return std::nullopt;
}

// Spark's checkForStreamStreamJoinWatermark, in its words.
void check_state_bounded(JoinType type, bool key_bound, bool left_bound, bool right_bound,
                         const config::Node& at) {
  if (type == JoinType::Inner || key_bound) return;
  const bool ok = type == JoinType::RightOuter  ? right_bound
                  : type == JoinType::FullOuter ? left_bound && right_bound
                                                : left_bound;
  if (!ok)
    at.fail(std::string("Stream-stream ") + join_type_name(type) +
            " join between two streaming DataFrame/Datasets is not supported without a watermark in the join "
            "keys, "
            "or a watermark on the nullable side and an appropriate range condition");
}

std::optional<size_t> find_column(const Schema& schema, const std::string& name) {
  return name.empty() ? std::nullopt : schema.find(name);
}

}  // namespace

std::unique_ptr<Operator> plan_stream_join(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  const std::string name = value["with"].str();
  const StreamInfo& other = *ctx.find_stream(name);
  const JoinType type = parse_type(value["type"]);
  if (type == JoinType::LeftAnti)
    value["type"].fail("Left anti joins with a streaming DataFrame/Dataset on the right are not supported");
  JoinPlan plan = plan_join_condition(ctx.step, ctx.pipeline, type, *ctx.input, *other.schema, name);
  if (plan.keys.empty()) value.fail("Stream-stream join without equality predicate is not supported");
  SideSpec left{kLeft, ctx.input, find_column(*ctx.input, ctx.event_time_column), {}};
  SideSpec right{kRight, other.schema, find_column(*other.schema, other.event_time_column), {}};
  const std::optional<size_t> key = event_time_key(plan, left.event_time, right.event_time);
  std::optional<int64_t> left_offset, right_offset;
  if (right.event_time)
    left_offset = state_value_offset_us(plan.residual_ast, *plan.pair_schema, plan.left_width, false,
                                        plan.left_width + *right.event_time);
  if (left.event_time)
    right_offset =
        state_value_offset_us(plan.residual_ast, *plan.pair_schema, plan.left_width, true, *left.event_time);
  check_state_bounded(type, key.has_value(), left_offset.has_value(), right_offset.has_value(),
                      value["type"].defined() ? value["type"] : value);
  left.eviction = key ? Eviction{key, std::nullopt} : Eviction{std::nullopt, left_offset};
  right.eviction = key ? Eviction{key, std::nullopt} : Eviction{std::nullopt, right_offset};
  // Later steps see the left side's event time, else the right's (when its columns are kept).
  if (left.event_time)
    ctx.output_event_time = (*ctx.input)[*left.event_time].name;
  else if (right.event_time && keeps_right_columns(type))
    ctx.output_event_time = (*other.schema)[*right.event_time].name;
  return std::make_unique<StreamJoinOperator>(std::move(plan), std::move(left), std::move(right), name);
}

}  // namespace runnel
