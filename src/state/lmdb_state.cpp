// Layout of the environment (one LMDB file, DIR/data.mdb, with named
// databases):
//
//   "meta"        format -> "runnel-state-1"
//                 version -> int64, the last committed version (absent: -1)
//                 undo -> the undo record of that commit (absent after a rollback)
//                 stats/<operator id> -> uint64 rows, uint64 key+value bytes
//   "op/<id>"     one per stateful operator: its entries.
//
// LMDB keys must be 1..max_key bytes (511), while an operator's keys may be
// empty or longer. So every stored key is a tag byte followed by the key;
// keys of max_key - 1 bytes or more are kept in a "bucket": the entry whose
// stored key is the tag plus the first max_key - 1 bytes (exactly max_key
// bytes, a length no direct entry has), whose value lists (suffix, value)
// pairs sorted by suffix. Stored keys compare as memcmp, as the keys do, and
// a bucket sits exactly where its keys sort, so a cursor walk yields every
// key in order.
//
// The undo record names the databases it touches and lists, for every
// stored key (data, stats and version) the commit changed, its previous
// value or "absent"; applying it restores the previous version.
#include "state/lmdb_state.hpp"

#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "state/codec.hpp"

namespace runnel {
namespace {

constexpr std::string_view kFormat = "runnel-state-1";
constexpr size_t kInitialMapSize = size_t{64} << 20;
constexpr unsigned kMaxDatabases = 256;
constexpr char kKeyTag = 'k';
constexpr const char* kMetaDb = "meta";
constexpr std::string_view kOperatorDbPrefix = "op/";
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kVersionKey = "version";
constexpr std::string_view kUndoKey = "undo";
constexpr std::string_view kStatsPrefix = "stats/";

// Thrown inside a write transaction that ran out of map: grow it and retry.
struct MapFull {};

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view to_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

template <class T>
std::string encode_fixed(T value) {
  std::string out;
  codec::put(out, value);
  return out;
}

// Reads the records runnel writes into LMDB values; running out of bytes
// means the file is corrupt, which is an I/O error naming the file.
class RecordReader {
 public:
  RecordReader(std::string_view in, const std::string& file) : in_(in), file_(file) {}
  template <class T>
  T get() {
    if (in_.size() < sizeof(T)) corrupt();
    return codec::get<T>(in_);
  }
  std::string_view bytes(size_t n) {
    if (in_.size() < n) corrupt();
    std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  bool done() const { return in_.empty(); }
  [[noreturn]] void corrupt() const { fail(ErrorKind::IO, "corrupt state record in " + file_); }

 private:
  std::string_view in_;
  const std::string& file_;
};

// A bucket of long keys: (suffix, value) pairs sorted by suffix.
using BucketEntries = std::vector<std::pair<std::string_view, std::string_view>>;

BucketEntries decode_bucket(std::string_view value, const std::string& file) {
  BucketEntries entries;
  RecordReader in(value, file);
  while (!in.done()) {
    std::string_view suffix = in.bytes(in.get<uint32_t>());
    entries.emplace_back(suffix, in.bytes(in.get<uint64_t>()));
  }
  return entries;
}

std::string encode_bucket(const BucketEntries& entries) {
  std::string out;
  for (const auto& [suffix, value] : entries) {
    codec::put(out, static_cast<uint32_t>(suffix.size()));
    out.append(suffix);
    codec::put(out, static_cast<uint64_t>(value.size()));
    out.append(value);
  }
  return out;
}

struct Environment;

// The undo record of one commit, in the order it is applied:
//   int64 version, uint32 n, n x (uint32 length, database name),
//   then entries: uint32 database, uint32 key length, key, uint8 present,
//   and when present uint64 length, previous value.
class UndoRecord {
 public:
  // `entries` is the buffer to build the entries in, kept between commits.
  UndoRecord(int64_t version, std::string& entries) : entries_(entries) {
    codec::put(header_, version);
    entries_.clear();
  }
  uint32_t database(std::string_view name) {
    for (uint32_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return i;
    names_.emplace_back(name);
    return static_cast<uint32_t>(names_.size() - 1);
  }
  // `previous` is null when the key was absent.
  void add(uint32_t database, std::string_view key, const MDB_val* previous) {
    codec::put(entries_, database);
    codec::put(entries_, static_cast<uint32_t>(key.size()));
    entries_.append(key);
    codec::put(entries_, static_cast<uint8_t>(previous != nullptr));
    if (previous == nullptr) return;
    codec::put(entries_, static_cast<uint64_t>(previous->mv_size));
    entries_.append(to_view(*previous));
  }
  // Writes the record as meta[key] into space LMDB reserves for it: the
  // entries, a batch's every previous value, are copied once, into the page.
  void write(const Environment& impl, MDB_txn* txn, MDB_dbi meta, std::string_view key) const;

 private:
  std::string header_;
  std::vector<std::string> names_;
  std::string& entries_;
};

// The buffers a commit keeps for the next one (its memory then comes back
// warm: fresh memory each batch cost a page fault every 4 KiB), unless it
// grew past this (a whole state rewritten), not to be held for good.
constexpr size_t kKeptBufferBytes = size_t{64} << 20;

// Change of an operator's committed rows and bytes within one commit.
struct StatsDelta {
  int64_t rows = 0;
  int64_t bytes = 0;
  void added(size_t n) { ++rows, bytes += static_cast<int64_t>(n); }
  void removed(size_t n) { --rows, bytes -= static_cast<int64_t>(n); }
};

struct CursorCloser {
  void operator()(MDB_cursor* cursor) const { mdb_cursor_close(cursor); }
};
using Cursor = std::unique_ptr<MDB_cursor, CursorCloser>;

class LmdbStore;

// A store's staged puts and removes (a nullopt value: removed), in one byte
// buffer, so staging a batch's changes costs no allocation per entry;
// begin()..end() run in key order with one entry per key, its last change
// (sorted when first read after a change).
class Staged {
 public:
  using Entry = std::pair<std::string_view, std::optional<std::string_view>>;
  using const_iterator = std::vector<Entry>::const_iterator;

  Staged() = default;
  // A move may move the bytes (a short string's live inside it): sort again.
  Staged(Staged&& other) noexcept { *this = std::move(other); }
  Staged& operator=(Staged&& other) noexcept {
    bytes_ = std::move(other.bytes_);
    changes_ = std::move(other.changes_);
    sorted_ = std::move(other.sorted_);
    order_ = std::move(other.order_);
    other.clear();
    sorted_.clear();
    dirty_ = !changes_.empty();
    return *this;
  }
  // Drops every change, keeping the memory.
  void clear() {
    bytes_.clear();
    changes_.clear();
    sorted_.clear();
    dirty_ = false;
  }
  size_t capacity_bytes() const {
    return bytes_.capacity() + changes_.capacity() * sizeof(Change) + sorted_.capacity() * sizeof(Entry) +
           order_.capacity() * sizeof(Order);
  }

  void put(std::string_view key, std::optional<std::string_view> value) {
    if (key.size() >= kRemoved || (value && value->size() >= kRemoved))
      fail(ErrorKind::IO, "a state entry of " + std::to_string(key.size() + (value ? value->size() : 0)) +
                              " bytes is over the 4 GiB one can hold");
    changes_.push_back({bytes_.size(), static_cast<uint32_t>(key.size()),
                        value ? static_cast<uint32_t>(value->size()) : kRemoved});
    bytes_.append(key);
    if (value) bytes_.append(*value);
    dirty_ = true;
  }
  bool empty() const { return changes_.empty(); }
  const_iterator begin() const {
    sort();
    return sorted_.begin();
  }
  const_iterator end() const {
    sort();
    return sorted_.end();
  }
  // The last change of `key`, or nullptr.
  const Entry* find(std::string_view key) const {
    auto it = std::lower_bound(begin(), end(), key, [](const Entry& e, std::string_view k) { return e.first < k; });
    return it != end() && it->first == key ? &*it : nullptr;
  }

 private:
  // A change's key at key_at, its value (kRemoved: none) right after it.
  struct Change {
    uint64_t key_at;
    uint32_t key_size, value_size;
  };
  static constexpr uint32_t kRemoved = UINT32_MAX;
  std::string_view key_of(uint32_t change) const {
    return std::string_view(bytes_).substr(changes_[change].key_at, changes_[change].key_size);
  }
  // The key's 8 bytes from some depth as a big-endian number (zeros past its
  // end), and how many of them it has: these pairs order as the bytes do, a
  // key before its extensions.
  using Word = std::pair<uint64_t, uint8_t>;
  // A change (its arrival: a key's last change sorts last) and its key's
  // word at the depth being sorted; 16 bytes, as the sort moves them a lot.
  struct Order {
    uint64_t bits;
    uint32_t arrival;
    uint8_t size;
    Word word() const { return {bits, size}; }
  };
  void sort() const {
    if (!dirty_) return;
    std::vector<Order>& order = order_;
    order.clear();
    for (uint32_t i = 0; i < changes_.size(); ++i) order.push_back({0, i, 0});
    load_words(order.data(), order.size(), 0);
    sort_from(order.data(), order.size(), 0);
    sorted_.clear();
    for (size_t i = 0; i < order.size(); ++i) {
      const std::string_view key = key_of(order[i].arrival);
      if (i + 1 < order.size() && key_of(order[i + 1].arrival) == key) continue;  // a later change wins
      const Change& c = changes_[order[i].arrival];
      std::optional<std::string_view> value;
      if (c.value_size != kRemoved) value = std::string_view(bytes_).substr(c.key_at + c.key_size, c.value_size);
      sorted_.emplace_back(key, value);
    }
    dirty_ = false;
  }
  // Sorts n orders whose keys share their first `depth` bytes, their words
  // loaded from there: a multikey quicksort (Bentley and Sedgewick) on 8
  // bytes at a time, which reads each key's bytes once per 8 of depth, where
  // comparing whole keys would go over their shared prefixes (an operator's
  // encoded keys share long ones: the window, lengths) again and again.
  void sort_from(Order* a, size_t n, size_t depth) const {
    while (n > 1) {
      if (n < 12) return insertion_sort_from(a, n, depth);
      const Word pivot = median(a[0].word(), a[n / 2].word(), a[n - 1].word());
      size_t lt = 0, i = 0, gt = n;  // [0, lt) below the pivot, [lt, gt) at it, [gt, n) above
      while (i < gt) {
        if (a[i].word() < pivot) std::swap(a[lt++], a[i++]);
        else if (pivot < a[i].word()) std::swap(a[i], a[--gt]);
        else ++i;
      }
      sort_from(a, lt, depth);
      sort_from(a + gt, n - gt, depth);
      a += lt, n = gt - lt;
      if (pivot.second < 8) return std::sort(a, a + n, [](const Order& x, const Order& y) { return x.arrival < y.arrival; });
      depth += 8;
      load_words(a, n, depth);
    }
  }
  void insertion_sort_from(Order* a, size_t n, size_t depth) const {
    auto less = [this, depth](const Order& x, const Order& y) {
      if (x.word() != y.word()) return x.word() < y.word();
      const int order = x.size < 8 ? 0 : key_of(x.arrival).substr(depth + 8).compare(key_of(y.arrival).substr(depth + 8));
      return order != 0 ? order < 0 : x.arrival < y.arrival;
    };
    for (size_t i = 1; i < n; ++i)
      for (size_t j = i; j > 0 && less(a[j], a[j - 1]); --j) std::swap(a[j], a[j - 1]);
  }
  void load_words(Order* a, size_t n, size_t depth) const {
    for (size_t i = 0; i < n; ++i) {
      const Change& c = changes_[a[i].arrival];
      const size_t size = std::min<size_t>(c.key_size - depth, 8);
      uint64_t word = 0;
      std::memcpy(&word, bytes_.data() + c.key_at + depth, size);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      a[i].bits = word;
      a[i].size = static_cast<uint8_t>(size);
    }
  }
  static Word median(Word a, Word b, Word c) { return std::max(std::min(a, b), std::min(std::max(a, b), c)); }
  std::string bytes_;
  std::vector<Change> changes_;               // in arrival order
  mutable std::vector<Entry> sorted_;         // views into bytes_
  mutable std::vector<Order> order_;          // sort()'s, kept for its memory
  mutable bool dirty_ = false;
};

// The environment behind LmdbStateEnv (its Impl), shared with the stores.
// A commit prepared on the executor's thread may run on the checkpoint's
// background thread: until it has, every LMDB access of the stores waits
// (await), so LMDB is only ever used by one thread at a time.
struct Environment {
  std::string dir;
  std::string file;  // DIR/data.mdb, named in every error
  MDB_env* env = nullptr;
  size_t max_key = 0;
  int64_t version = -1;
  MDB_dbi meta = 0;
  std::map<std::string, MDB_dbi, std::less<>> databases;  // by name, every one opened
  std::map<std::string, std::unique_ptr<LmdbStore>, std::less<>> stores;
  mutable std::mutex commit_mu;
  mutable std::condition_variable commit_done;
  int commits_in_flight = 0;
  // A commit's staged changes, one store's each.
  struct Taken {
    LmdbStore* store;
    Staged staged;
  };
  std::shared_ptr<std::vector<Taken>> last_taken;  // of the last commit prepared
  std::string undo_entries;                        // the commits' UndoRecord buffer

  ~Environment();
  void await() const {
    std::unique_lock lock(commit_mu);
    commit_done.wait(lock, [this] { return commits_in_flight == 0; });
  }

  void check(int rc, std::string_view what) const {
    if (rc == 0) return;
    if (rc == MDB_MAP_FULL) throw MapFull{};
    fail(ErrorKind::IO, "state " + file + ": cannot " + std::string(what) + ": " + mdb_strerror(rc));
  }
  void open(const std::string& directory);
  void verify_file_size() const;
  void open_databases(MDB_txn* txn);
  template <class Fn>
  void write(std::string_view what, Fn&& fn);
  void grow_map();
  Cursor cursor(MDB_txn* txn, MDB_dbi dbi) const {
    MDB_cursor* c = nullptr;
    check(mdb_cursor_open(txn, dbi, &c), "open a cursor");
    return Cursor(c);
  }
  // Reads `key` of `dbi`: false when absent.
  bool get(MDB_txn* txn, MDB_dbi dbi, std::string_view key, MDB_val& value) const {
    MDB_val k = to_val(key);
    int rc = mdb_get(txn, dbi, &k, &value);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "read");
    return true;
  }
  // Writes meta[key] = value, keeping its previous value in `undo`.
  void put_meta(MDB_txn* txn, std::string_view key, std::string_view value, UndoRecord& undo) {
    MDB_val previous;
    bool found = get(txn, meta, key, previous);
    undo.add(undo.database(kMetaDb), key, found ? &previous : nullptr);
    MDB_val k = to_val(key), v = to_val(value);
    check(mdb_put(txn, meta, &k, &v, 0), "write state metadata");
  }
  void update_stats(MDB_txn* txn, std::string_view operator_id, const StatsDelta& delta, UndoRecord& undo);
  std::pair<uint64_t, uint64_t> read_stats(MDB_txn* txn, std::string_view operator_id) const;
  std::function<void()> prepare_commit(const std::vector<LmdbStore*>& to_commit, int64_t new_version);
  void apply_undo(MDB_txn* txn, int64_t to_version);
};

// A read-only transaction for the duration of one get/for_each/stats call.
class ReadTxn {
 public:
  explicit ReadTxn(const Environment& impl) {
    impl.check(mdb_txn_begin(impl.env, nullptr, MDB_RDONLY, &txn_), "begin a read transaction");
  }
  ~ReadTxn() { mdb_txn_abort(txn_); }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

// Walks an operator database's entries in key order, opening buckets.
class CommittedEntries {
 public:
  // From the first entry, or with `from` (a stored key) from the first stored key at or after it.
  CommittedEntries(const Environment& impl, MDB_txn* txn, MDB_dbi dbi, std::string from = {})
      : impl_(impl), cursor_(impl.cursor(txn, dbi)), from_(std::move(from)), op_(from_.empty() ? MDB_FIRST : MDB_SET_RANGE) {}

  // Moves to the next entry; false at the end.
  bool next() {
    if (bucket_pos_ < bucket_.size()) {
      const auto& [suffix, value] = bucket_[bucket_pos_++];
      key_buffer_.assign(bucket_prefix_).append(suffix);
      key_ = key_buffer_;
      value_ = value;
      return true;
    }
    MDB_val k = to_val(from_), v;
    int rc = mdb_cursor_get(cursor_.get(), &k, &v, op_);
    op_ = MDB_NEXT;
    if (rc == MDB_NOTFOUND) return false;
    impl_.check(rc, "read state");
    std::string_view stored = to_view(k);
    if (stored.empty() || stored[0] != kKeyTag) RecordReader({}, impl_.file).corrupt();
    if (stored.size() < impl_.max_key) {
      key_ = stored.substr(1);
      value_ = to_view(v);
      return true;
    }
    bucket_ = decode_bucket(to_view(v), impl_.file);
    bucket_pos_ = 0;
    bucket_prefix_ = stored.substr(1);
    return next();
  }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

 private:
  const Environment& impl_;
  Cursor cursor_;
  std::string from_;
  MDB_cursor_op op_;
  std::string_view key_, value_;
  BucketEntries bucket_;
  size_t bucket_pos_ = 0;
  std::string_view bucket_prefix_;
  std::string key_buffer_;
};

// One operator's store: committed entries in its LMDB database, staged
// changes in memory (nullopt: removed) until the environment commits them.
class LmdbStore final : public StateStore {
 public:
  LmdbStore(Environment& impl, std::string operator_id, std::string database, MDB_dbi dbi)
      : impl_(impl), operator_id_(std::move(operator_id)), database_(std::move(database)), dbi_(dbi) {}

  int64_t version() const override {
    impl_.await();
    return impl_.version;
  }
  std::optional<std::string> get(std::string_view key) const override;
  void put(std::string_view key, std::string_view value) override { staged_.put(key, value); }
  void remove(std::string_view key) override { staged_.put(key, std::nullopt); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& fn) const override;
  void for_each_with_prefix(std::string_view prefix,
                            const std::function<void(std::string_view, std::string_view)>& fn) const override;
  void for_each_in_range(std::string_view begin, std::string_view end,
                         const std::function<void(std::string_view, std::string_view)>& fn) const override;
  // Commits this store's changes alone (tests); the executor commits every
  // store at once with LmdbStateEnv::commit.
  void commit(int64_t version) override { impl_.prepare_commit({this}, version)(); }
  void abort() override { staged_.clear(); }

  const std::string& operator_id() const { return operator_id_; }
  // The staged changes, to commit; staging goes on in the buffers of the last
  // changes taken, handed back by recycle() once they were committed.
  Staged take_staged() {
    Staged taken = std::move(staged_);
    staged_ = std::move(spare_);
    return taken;
  }
  void recycle(Staged committed) {
    committed.clear();
    if (committed.capacity_bytes() <= kKeptBufferBytes) spare_ = std::move(committed);
  }
  // Writes `staged` (taken from this store) in `txn`, recording previous values in `undo`.
  StatsDelta write_staged(MDB_txn* txn, const Staged& staged, UndoRecord& undo) const;

 private:
  bool is_direct(std::string_view key) const { return key.size() + 1 < impl_.max_key; }
  std::string stored_key(std::string_view key) const {
    std::string stored(1, kKeyTag);
    stored.append(is_direct(key) ? key : key.substr(0, impl_.max_key - 1));
    return stored;
  }
  // Calls fn with the committed entries and the staged ones with keys from
  // `from` on, merged in key order (a staged change wins), while within(key).
  void merge(std::string_view from, const std::function<bool(std::string_view)>& within,
             const std::function<void(std::string_view, std::string_view)>& fn) const;
  Staged::const_iterator write_bucket(MDB_cursor* cursor, const Staged& staged, Staged::const_iterator first,
                                      uint32_t undo_db, UndoRecord& undo, StatsDelta& delta) const;

  Environment& impl_;
  std::string operator_id_;
  std::string database_;
  MDB_dbi dbi_;
  Staged staged_;
  Staged spare_;  // empty: the buffers of the last commit, to stage in next
};

std::optional<std::string> LmdbStore::get(std::string_view key) const {
  if (const Staged::Entry* e = staged_.find(key)) return e->second ? std::optional<std::string>(*e->second) : std::nullopt;
  impl_.await();
  ReadTxn txn(impl_);
  MDB_val value;
  if (!impl_.get(txn.get(), dbi_, stored_key(key), value)) return std::nullopt;
  if (is_direct(key)) return std::string(to_view(value));
  std::string_view suffix = key.substr(impl_.max_key - 1);
  for (const auto& [entry_suffix, entry_value] : decode_bucket(to_view(value), impl_.file))
    if (entry_suffix == suffix) return std::string(entry_value);
  return std::nullopt;
}

void LmdbStore::for_each(const std::function<void(std::string_view, std::string_view)>& fn) const {
  merge("", [](std::string_view) { return true; }, fn);
}

void LmdbStore::for_each_with_prefix(std::string_view prefix,
                                     const std::function<void(std::string_view, std::string_view)>& fn) const {
  merge(prefix, [&](std::string_view key) { return key.starts_with(prefix); }, fn);
}

void LmdbStore::for_each_in_range(std::string_view begin, std::string_view end,
                                  const std::function<void(std::string_view, std::string_view)>& fn) const {
  merge(begin, [&](std::string_view key) { return key < end; }, fn);
}

void LmdbStore::merge(std::string_view from, const std::function<bool(std::string_view)>& within,
                      const std::function<void(std::string_view, std::string_view)>& fn) const {
  impl_.await();
  ReadTxn txn(impl_);
  // A long key seeks to its bucket (keys sharing the stored part), whose entries may start before it.
  CommittedEntries committed(impl_, txn.get(), dbi_, from.empty() ? std::string() : stored_key(from));
  auto staged = std::lower_bound(staged_.begin(), staged_.end(), from,
                                 [](const Staged::Entry& e, std::string_view k) { return e.first < k; });
  bool more = committed.next();
  while (more && committed.key() < from) more = committed.next();
  more = more && within(committed.key());
  const auto last = staged_.end();
  bool staging = staged != last && within(staged->first);
  while (more || staging) {
    int order = !more ? 1 : !staging ? -1 : committed.key().compare(staged->first);
    if (order < 0) {
      fn(committed.key(), committed.value());
      more = committed.next() && within(committed.key());
      continue;
    }
    if (staged->second) fn(staged->first, *staged->second);
    if (order == 0) more = committed.next() && within(committed.key());
    ++staged;
    staging = staged != last && within(staged->first);
  }
}

StatsDelta LmdbStore::write_staged(MDB_txn* txn, const Staged& staged, UndoRecord& undo) const {
  StatsDelta delta;
  Cursor cursor = impl_.cursor(txn, dbi_);
  uint32_t undo_db = undo.database(database_);
  std::string stored;
  for (auto it = staged.begin(); it != staged.end();) {
    if (!is_direct(it->first)) {
      it = write_bucket(cursor.get(), staged, it, undo_db, undo, delta);
      continue;
    }
    const auto& [key, value] = *it++;
    stored.assign(1, kKeyTag).append(key);
    MDB_val k = to_val(stored), previous;
    // One search a key: a put that finds the key returns its value and
    // leaves the cursor on it, for the undo record and an in-place replace.
    int rc = value ? mdb_cursor_put(cursor.get(), &k, &(previous = to_val(*value)), MDB_NOOVERWRITE)
                   : mdb_cursor_get(cursor.get(), &k, &previous, MDB_SET_KEY);
    const bool found = value ? rc == MDB_KEYEXIST : rc == 0;
    if (!found && rc != (value ? 0 : MDB_NOTFOUND)) impl_.check(rc, value ? "write state" : "read state");
    undo.add(undo_db, stored, found ? &previous : nullptr);
    if (found) delta.removed(key.size() + previous.mv_size);
    if (value) delta.added(key.size() + value->size());
    if (!found) continue;
    if (value) {
      MDB_val v = to_val(*value);
      impl_.check(mdb_cursor_put(cursor.get(), &k, &v, MDB_CURRENT), "write state");
    } else {
      impl_.check(mdb_cursor_del(cursor.get(), 0), "write state");
    }
  }
  return delta;
}

// Rewrites the bucket of the long key at `first` with every staged change
// that falls into it (a contiguous range: the keys sharing its prefix).
Staged::const_iterator LmdbStore::write_bucket(MDB_cursor* cursor, const Staged& staged, Staged::const_iterator first,
                                               uint32_t undo_db, UndoRecord& undo, StatsDelta& delta) const {
  const size_t prefix_size = impl_.max_key - 1;
  std::string stored = stored_key(first->first);
  std::string_view prefix = std::string_view(stored).substr(1);
  auto last = first;
  while (last != staged.end() && std::string_view(last->first).substr(0, prefix_size) == prefix) ++last;

  MDB_val k = to_val(stored), previous;
  int rc = mdb_cursor_get(cursor, &k, &previous, MDB_SET_KEY);
  if (rc != MDB_NOTFOUND) impl_.check(rc, "read state");
  bool found = rc == 0;
  undo.add(undo_db, stored, found ? &previous : nullptr);
  BucketEntries old_entries = found ? decode_bucket(to_view(previous), impl_.file) : BucketEntries{};

  BucketEntries entries;
  auto old_entry = old_entries.begin();
  for (auto change = first; change != last || old_entry != old_entries.end();) {
    std::string_view suffix = change != last ? std::string_view(change->first).substr(prefix_size) : "";
    int order = change == last ? -1 : old_entry == old_entries.end() ? 1 : old_entry->first.compare(suffix);
    if (order < 0) {
      entries.push_back(*old_entry++);
      continue;
    }
    if (order == 0) {
      delta.removed(prefix_size + old_entry->first.size() + old_entry->second.size());
      ++old_entry;
    }
    if (change->second) {
      entries.emplace_back(suffix, *change->second);
      delta.added(change->first.size() + change->second->size());
    }
    ++change;
  }
  std::string value = encode_bucket(entries);  // copies out of `previous` before the page changes
  k = to_val(stored);
  if (!entries.empty()) {
    MDB_val v = to_val(value);
    impl_.check(mdb_cursor_put(cursor, &k, &v, 0), "write state");
  } else if (found) {
    impl_.check(mdb_cursor_del(cursor, 0), "write state");
  }
  return last;
}

void UndoRecord::write(const Environment& impl, MDB_txn* txn, MDB_dbi meta, std::string_view key) const {
  std::string head = header_;
  codec::put(head, static_cast<uint32_t>(names_.size()));
  for (const auto& name : names_) {
    codec::put(head, static_cast<uint32_t>(name.size()));
    head.append(name);
  }
  MDB_val k = to_val(key), v{head.size() + entries_.size(), nullptr};
  impl.check(mdb_put(txn, meta, &k, &v, MDB_RESERVE), "write the undo record");
  std::memcpy(v.mv_data, head.data(), head.size());
  std::memcpy(static_cast<char*>(v.mv_data) + head.size(), entries_.data(), entries_.size());
}

}  // namespace

Environment::~Environment() {
  await();
  if (env != nullptr) mdb_env_close(env);
}

void Environment::open(const std::string& directory) {
  dir = directory;
  file = (std::filesystem::path(dir) / "data.mdb").string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(ErrorKind::IO, "cannot create the state directory " + dir + ": " + ec.message());
  check(mdb_env_create(&env), "create an LMDB environment");
  check(mdb_env_set_maxdbs(env, kMaxDatabases), "set the number of databases");
  check(mdb_env_set_mapsize(env, kInitialMapSize), "set the map size");
  // A commit flushes its data pages but not the meta page that makes it the
  // current version (still all-or-nothing after a crash): sync() flushes
  // that before the checkpoint's commits/N, off the batch's path.
  check(mdb_env_open(env, dir.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0644), "open");
  int stale_readers = 0;  // left by a killed process
  check(mdb_reader_check(env, &stale_readers), "clear stale readers");
  verify_file_size();
  max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env));
  write("open", [&](MDB_txn* txn) {
    open_databases(txn);
    MDB_val v;
    version = get(txn, meta, kVersionKey, v) ? RecordReader(to_view(v), file).get<int64_t>() : -1;
  });
}

// LMDB maps the file and trusts its meta page: a file cut short would fault
// (SIGBUS) on the first read past its end, so it is refused here instead.
void Environment::verify_file_size() const {
  MDB_envinfo info;
  MDB_stat stat;
  check(mdb_env_info(env, &info), "read the environment info");
  check(mdb_env_stat(env, &stat), "read the environment info");
  uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) fail(ErrorKind::IO, "state " + file + ": cannot stat the file");
  if (static_cast<uint64_t>(st.st_size) < needed)
    fail(ErrorKind::IO, "state " + file + " is truncated: " + std::to_string(st.st_size) +
                            " bytes, its last page ends at byte " + std::to_string(needed));
}

// Opens (creating in a new environment) the meta database and every
// operator database, and checks that this is a runnel state environment.
void Environment::open_databases(MDB_txn* txn) {
  MDB_dbi main;
  check(mdb_dbi_open(txn, nullptr, 0, &main), "open the main database");
  int rc = mdb_dbi_open(txn, kMetaDb, 0, &meta);
  if (rc == MDB_NOTFOUND) {
    MDB_stat stat;
    check(mdb_stat(txn, main, &stat), "read the main database");
    if (stat.ms_entries != 0) fail(ErrorKind::IO, "state " + file + " is not a runnel state environment");
    check(mdb_dbi_open(txn, kMetaDb, MDB_CREATE, &meta), "create the meta database");
    MDB_val k = to_val(kFormatKey), v = to_val(kFormat);
    check(mdb_put(txn, meta, &k, &v, 0), "write the format marker");
  } else {
    check(rc, "open the meta database");
    MDB_val v;
    if (!get(txn, meta, kFormatKey, v) || to_view(v) != kFormat)
      fail(ErrorKind::IO, "state " + file + " is not a runnel state environment of format " + std::string(kFormat));
  }
  databases.clear();
  databases[kMetaDb] = meta;

  std::vector<std::string> names;
  {
    Cursor c = cursor(txn, main);
    MDB_val k = to_val(kOperatorDbPrefix), v;
    for (rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
      std::string_view name = to_view(k);
      if (name.substr(0, kOperatorDbPrefix.size()) != kOperatorDbPrefix) break;
      names.emplace_back(name);
    }
    if (rc != MDB_NOTFOUND && rc != 0) check(rc, "list the operator databases");
  }
  for (const auto& name : names) check(mdb_dbi_open(txn, name.c_str(), 0, &databases[name]), "open " + name);
}

// Runs fn in a write transaction and commits it; when the map is full, the
// transaction is dropped, the map doubled, and fn run again from scratch.
template <class Fn>
void Environment::write(std::string_view what, Fn&& fn) {
  for (;;) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, 0, &txn), what);
    try {
      fn(txn);
    } catch (const MapFull&) {
      mdb_txn_abort(txn);
      grow_map();
      continue;
    } catch (...) {
      mdb_txn_abort(txn);
      throw;
    }
    int rc = mdb_txn_commit(txn);  // frees txn, committed or not
    if (rc == MDB_MAP_FULL) {
      grow_map();
      continue;
    }
    check(rc, what);
    return;
  }
}

void Environment::grow_map() {
  MDB_envinfo info;
  check(mdb_env_info(env, &info), "read the map size");
  size_t size = info.me_mapsize * 2;
  check(mdb_env_set_mapsize(env, size), "grow the map to " + std::to_string(size) + " bytes");
}

std::pair<uint64_t, uint64_t> Environment::read_stats(MDB_txn* txn, std::string_view operator_id) const {
  MDB_val v;
  if (!get(txn, meta, std::string(kStatsPrefix) + std::string(operator_id), v)) return {0, 0};
  RecordReader in(to_view(v), file);
  auto rows = in.get<uint64_t>();
  return {rows, in.get<uint64_t>()};
}

void Environment::update_stats(MDB_txn* txn, std::string_view operator_id, const StatsDelta& delta,
                                      UndoRecord& undo) {
  auto [rows, bytes] = read_stats(txn, operator_id);
  std::string value = encode_fixed(rows + static_cast<uint64_t>(delta.rows));
  codec::put(value, bytes + static_cast<uint64_t>(delta.bytes));
  put_meta(txn, std::string(kStatsPrefix) + std::string(operator_id), value, undo);
}

std::function<void()> Environment::prepare_commit(const std::vector<LmdbStore*>& to_commit, int64_t new_version) {
  await();  // commits are in order (the executor's settle() has waited for the last one already)
  RUNNEL_ASSERT(new_version > version);
  if (last_taken) {  // written (or dropped unrun) by now: their buffers serve the next batch
    for (Taken& t : *last_taken) t.store->recycle(std::move(t.staged));
  }
  auto taken = std::make_shared<std::vector<Taken>>();
  for (LmdbStore* store : to_commit) {
    Staged staged = store->take_staged();
    if (!staged.empty()) taken->push_back({store, std::move(staged)});
    else store->recycle(std::move(staged));
  }
  last_taken = taken;
  // In flight until the job has run, or was dropped unrun (a failure before it).
  {
    std::lock_guard lock(commit_mu);
    ++commits_in_flight;
  }
  auto in_flight = std::shared_ptr<void>(nullptr, [this](void*) {
    std::lock_guard lock(commit_mu);
    --commits_in_flight;
    commit_done.notify_all();
  });
  return [this, taken, new_version, in_flight] {
    write("commit state version " + std::to_string(new_version), [&](MDB_txn* txn) {
      UndoRecord undo(new_version, undo_entries);
      for (const Taken& t : *taken) update_stats(txn, t.store->operator_id(), t.store->write_staged(txn, t.staged, undo), undo);
      put_meta(txn, kVersionKey, encode_fixed(new_version), undo);
      undo.write(*this, txn, meta, kUndoKey);
    });
    if (undo_entries.capacity() > kKeptBufferBytes) std::string().swap(undo_entries);
    version = new_version;  // read by others only after await()
  };
}

void Environment::apply_undo(MDB_txn* txn, int64_t to_version) {
  MDB_val v;
  if (!get(txn, meta, kUndoKey, v))
    fail(ErrorKind::IO, "state " + file + " cannot go back from version " + std::to_string(version) + " to " +
                            std::to_string(to_version) + ": it holds no undo record");
  std::string record(to_view(v));  // the puts below may move the meta pages
  RecordReader in(record, file);
  if (in.get<int64_t>() != version) in.corrupt();
  auto database_count = in.get<uint32_t>();
  if (database_count > databases.size()) in.corrupt();
  std::vector<MDB_dbi> dbis(database_count);
  for (auto& dbi : dbis) {
    auto it = databases.find(in.bytes(in.get<uint32_t>()));
    if (it == databases.end()) in.corrupt();
    dbi = it->second;
  }
  while (!in.done()) {
    auto db = in.get<uint32_t>();
    if (db >= dbis.size()) in.corrupt();
    MDB_val k = to_val(in.bytes(in.get<uint32_t>()));
    if (in.get<uint8_t>() != 0) {
      MDB_val previous = to_val(in.bytes(in.get<uint64_t>()));
      check(mdb_put(txn, dbis[db], &k, &previous, 0), "restore state");
    } else if (int rc = mdb_del(txn, dbis[db], &k, nullptr); rc != MDB_NOTFOUND) {
      check(rc, "restore state");
    }
  }
  MDB_val undo_key = to_val(kUndoKey);
  check(mdb_del(txn, meta, &undo_key, nullptr), "drop the undo record");
  MDB_val restored;
  int64_t restored_version = get(txn, meta, kVersionKey, restored) ? RecordReader(to_view(restored), file).get<int64_t>() : -1;
  if (restored_version != to_version) in.corrupt();
}

struct LmdbStateEnv::Impl : Environment {};

LmdbStateEnv::LmdbStateEnv(const std::string& dir) : impl_(std::make_unique<Impl>()) { impl_->open(dir); }

LmdbStateEnv::~LmdbStateEnv() = default;

StateStore& LmdbStateEnv::store(const std::string& operator_id) {
  auto& impl = *impl_;
  if (auto it = impl.stores.find(operator_id); it != impl.stores.end()) return *it->second;
  // The id names a database and a meta key: both are LMDB keys.
  size_t max_id = impl.max_key - std::max(kOperatorDbPrefix.size(), kStatsPrefix.size());
  if (operator_id.size() > max_id || operator_id.find('\0') != std::string::npos)
    fail(ErrorKind::Config, "stateful operator id '" + operator_id + "' cannot name a state database (at most " +
                                std::to_string(max_id) + " bytes, no NUL)");
  std::string name = std::string(kOperatorDbPrefix) + operator_id;
  if (!impl.databases.contains(name)) {
    MDB_dbi dbi = 0;
    impl.write("create the state database of " + operator_id,
               [&](MDB_txn* txn) { impl.check(mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbi), "create " + name); });
    impl.databases[name] = dbi;
  }
  MDB_dbi dbi = impl.databases[name];
  auto& store = impl.stores[operator_id];
  store = std::make_unique<LmdbStore>(impl, operator_id, name, dbi);
  return *store;
}

int64_t LmdbStateEnv::version() const {
  impl_->await();
  return impl_->version;
}

void LmdbStateEnv::commit(int64_t version) { prepare_commit(version)(); }

std::function<void()> LmdbStateEnv::prepare_commit(int64_t version) {
  std::vector<LmdbStore*> all;
  for (auto& [id, store] : impl_->stores) all.push_back(store.get());
  return impl_->prepare_commit(all, version);
}

void LmdbStateEnv::sync() { impl_->check(mdb_env_sync(impl_->env, 1), "sync"); }

void LmdbStateEnv::rollback_to(int64_t version) {
  auto& impl = *impl_;
  impl.await();
  if (version != impl.version) {
    RUNNEL_ASSERT(version == impl.version - 1);
    impl.write("roll state back to version " + std::to_string(version),
               [&](MDB_txn* txn) { impl.apply_undo(txn, version); });
    impl.version = version;
    sync();  // before the batch re-runs from it
  }
  for (auto& [id, store] : impl.stores) store->abort();
}

std::vector<StateStoreStats> LmdbStateEnv::stats() const {
  const auto& impl = *impl_;
  impl.await();
  ReadTxn txn(impl);
  std::vector<StateStoreStats> out;
  for (const auto& [name, dbi] : impl.databases) {
    if (name.substr(0, kOperatorDbPrefix.size()) != kOperatorDbPrefix) continue;
    StateStoreStats stats;
    stats.operator_id = name.substr(kOperatorDbPrefix.size());
    std::tie(stats.rows, stats.bytes) = impl.read_stats(txn.get(), stats.operator_id);
    out.push_back(std::move(stats));
  }
  return out;
}

}  // namespace runnel
