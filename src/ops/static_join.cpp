// Stream-static join (`join: {with: TABLE, ...}` where TABLE is under
// `tables:`), after Spark's stream-static joins: the stream on the left, a
// static table on the right; types inner, left outer, left semi, left anti
// (Spark rejects right/full outer with a static right side). Stateless, so
// it runs in every output mode.
//
// The table is read with the file source's own readers (a fresh file source
// over the table's config, all its files). Spark re-evaluates the static
// side every micro-batch; here the table's files are listed (path, size,
// mtime: a directory listing, no source made) at the first batch of each
// micro-batch and the table is re-read and its hash table rebuilt only when
// the listing changed.
//
// Keys, residual condition and names: ops/join_plan.hpp.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "ops/join_plan.hpp"
#include "plan/steps.hpp"
#include "sources/file_source.hpp"
#include "sources/source.hpp"
#include "state/group_table.hpp"

namespace runnel {

namespace {

using namespace join;

// The static side: the rows of a `tables:` entry, read by a file source.
class StaticTable {
 public:
  StaticTable(const config::PipelineConfig& pipeline, const config::ConnectorConfig& config)
      : pipeline_(pipeline), config_(config) {
    if (config.type != "file") config.node["type"].fail("a table must be of type file (got '" + config.type + "')");
    unread_ = fresh_source();
    schema_ = unread_->schema();
    path_ = pipeline_.resolve_path(config_.node.required("path").str());
  }

  const std::string& name() const { return config_.name; }
  SchemaRef schema() const { return schema_; }
  const std::vector<ColumnRef>& columns() const { return columns_; }
  size_t rows() const { return rows_; }

  // Lists the table's files; when they differ from the last read, reads them
  // all again and returns true.
  bool refresh() {
    SourceFiles files = list_source_files(path_);
    if (loaded_ && files.listing == listing_) return false;
    std::unique_ptr<Source> source = unread_ ? std::move(unread_) : fresh_source();
    auto offset = source->latest_offset(std::chrono::milliseconds(0));
    start_columns();
    if (offset) {
      source->read(nullptr, *offset, [&](Batch& b) {
        Batch dense = b.dense();
        if (rows_ == 0) reserve_for(dense, files.bytes);
        append(dense);
      });
    }
    listing_ = std::move(files.listing);
    loaded_ = true;
    return true;
  }

 private:
  // Read in chunks that stay in the cache while they are parsed: a table is
  // read once, whole, so the file source's larger default buys nothing and
  // only adds fresh pages to fault in (1 MiB: 1.6% less CPU for the
  // benchmark's 1,000,000-row table than 8 MiB; 256 KiB the same).
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  std::unique_ptr<Source> fresh_source() const {
    return find_source_type("file")->create(SourceContext{pipeline_, config_, false, kChunkBytes});
  }

  void start_columns() {
    rows_ = 0;
    columns_.clear();
    for (auto& field : schema_->fields) columns_.push_back(Column::make(field.type));
  }

  // Sizes the columns for the rows that `bytes` of files like the dense
  // first batch `b` hold, so that they do not grow by doubling (a copy each
  // time). Its bytes per row are counted low (string bytes, one byte for any
  // other value, one per delimiter): room reserved beyond the rows is only
  // address space whose pages are never touched, and at most a row per 8
  // bytes is reserved. Rows beyond the estimate still fit (by doubling).
  void reserve_for(const Batch& b, uint64_t bytes) {
    const size_t rows = b.num_rows;
    uint64_t batch_bytes = 0;
    for (const ColumnRef& c : b.columns) {
      batch_bytes += rows;  // a delimiter or the newline
      if (!c->type().is_string_like()) {
        batch_bytes += rows - c->null_count();
        continue;
      }
      const std::string_view* views = c->data<std::string_view>();
      for (size_t i = 0; i < rows; ++i) batch_bytes += views[i].size();
    }
    if (batch_bytes == 0) return;
    const uint64_t estimate = std::min(bytes * rows / batch_bytes, bytes / 8);
    for (auto& c : columns_) c->reserve(static_cast<size_t>(estimate));
  }

  // Appends a batch's rows to the table's columns as it is read, so that a
  // batch lives no longer than its copy.
  void append(const Batch& b) {
    for (size_t c = 0; c < columns_.size(); ++c) append_column(*columns_[c], *b.columns[c], b.num_rows);
    rows_ += b.num_rows;
  }

  // Appends rows [0, n) of `src` to `dst`: flat values copied in bulk, and
  // strings into dst's own arena (a reader's batch arenas are mostly room to
  // grow: keeping them would hold the table's bytes twice over); nested
  // values row by row.
  static void append_column(Column& dst, const Column& src, size_t n) {
    const TypeId id = src.id();
    if (id == TypeId::Struct || id == TypeId::Array || id == TypeId::Null) {
      for (size_t r = 0; r < n; ++r) dst.append_from(src, r);
      return;
    }
    const size_t at = dst.size(), width = physical_width(id);
    dst.resize(at + n);
    if (n) std::memcpy(dst.data<uint8_t>() + at * width, src.data<uint8_t>(), n * width);
    if (!src.all_valid())
      for (size_t r = 0; r < n; ++r)
        if (src.is_null(r)) dst.set_null(at + r);
    if (src.type().is_string_like()) copy_strings(dst.arena(), dst.data<std::string_view>() + at, n);
  }

  // Copies the bytes of views[0, n) into `arena` and points the views at the
  // copy. A reader appends a batch's strings one after the other, so they
  // are mostly one run of bytes, copied at once; else string by string.
  static void copy_strings(Arena& arena, std::string_view* views, size_t n) {
    const char* start = nullptr;
    const char* end = nullptr;
    for (size_t r = 0; r < n; ++r) {
      if (views[r].empty()) continue;
      if (!start) start = end = views[r].data();
      if (views[r].data() != end) {
        for (size_t k = 0; k < n; ++k) views[k] = arena.copy(views[k]);
        return;
      }
      end += views[r].size();
    }
    if (!start) return;
    const std::string_view copy = arena.copy({start, static_cast<size_t>(end - start)});
    for (size_t r = 0; r < n; ++r)
      if (!views[r].empty()) views[r] = {copy.data() + (views[r].data() - start), views[r].size()};
  }

  // Copies: the table is re-read at run time, when the config the graph was planned from may be gone.
  const config::PipelineConfig pipeline_;
  const config::ConnectorConfig config_;
  std::unique_ptr<Source> unread_;  // the source the schema came from, for the first read (a source has a big buffer)
  SchemaRef schema_;
  std::vector<ColumnRef> columns_;
  size_t rows_ = 0;
  std::string path_;     // resolved, as the file source resolves it
  std::string listing_;  // of the files last read (list_source_files)
  bool loaded_ = false;
};

// The table's rows by key: an open-addressing index (linear probing) of each
// key's first table row, its "head", compared straight against the table's
// own key columns (no copy of the keys); a slot also holds the key's hash's
// high bits, so that a probe reads a table key only when they agree. Keys
// hash as GroupTable hashes them. Each key's rows are its head alone or,
// when some key has several rows, rows[first[head]..first[head+1]).
class BuildSide {
 public:
  void build(const JoinPlan& plan, const StaticTable& table, const expr::EvalContext& eval) {
    hasher_ = std::make_unique<GroupTable>(flat_key_types(plan.keys));
    Batch batch{table.schema(), table.columns(), table.rows(), nullptr};
    keys_ = key_columns(plan.keys, true, batch, eval);
    flat_keys_ = flat_key_columns(keys_);
    const RowsWithKey kept{plan, keys_, table.rows()};
    size_t capacity = 16;
    while (capacity < 2 * kept.count()) capacity *= 2;  // half full at most: short probe chains
    slots_ = LargeVector<Slot>(capacity, Slot{kEmpty, 0});
    std::vector<std::pair<uint32_t, uint32_t>> repeats;  // (row, its key's head) for a key's later rows
    std::vector<uint32_t> rows;
    for (size_t at = 0; at < table.rows(); at += kChunk) {
      kept.in(at, std::min(at + kChunk, table.rows()), rows);
      const std::vector<uint64_t>& hashes = hasher_->hashes(flat_keys_, rows.data(), rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        if (i + kBuildPrefetch < rows.size()) __builtin_prefetch(&slots_[hashes[i + kBuildPrefetch] & (capacity - 1)]);
        const uint32_t head = insert(rows[i], hashes[i]);
        if (head != rows[i]) repeats.emplace_back(rows[i], head);
      }
    }
    empty_ = kept.count() == 0;
    unique_ = repeats.empty();
    if (unique_) first_.clear(), rows_.clear();
    else bucket(kept, repeats, table.rows());
  }

  // The head of the key of each stream key row rows[i], or kNoMatch. A row
  // with a null `=` key finds none: no table row with such a key is indexed.
  void probe(const std::vector<ColumnRef>& keys, const std::vector<uint32_t>& rows, std::vector<uint32_t>& heads) {
    const size_t n = rows.size();
    heads.assign(n, kNoMatch);
    if (empty_) return;
    const std::vector<const Column*> probe_keys = flat_key_columns(keys);
    const std::vector<uint64_t>& hashes = hasher_->hashes(probe_keys, rows.data(), n);
    const size_t mask = slots_.size() - 1;
    const bool far = slots_.size() >= kFarSlots;
    for (size_t i = 0; i < n; ++i) {
      if (far) prefetch_ahead(hashes, i, n);
      const uint64_t hash = hashes[i];
      const uint32_t tag = static_cast<uint32_t>(hash >> 32);
      for (size_t slot = hash & mask; slots_[slot].row != kEmpty; slot = (slot + 1) & mask) {
        const Slot s = slots_[slot];
        if (s.tag == tag && GroupTable::same_keys(probe_keys, rows[i], flat_keys_, s.row)) {
          heads[i] = s.row;
          break;
        }
      }
    }
  }

  // The table rows of the key whose head is `head`, in table order.
  uint32_t count_of(uint32_t head) const { return unique_ ? 1 : first_[head + 1] - first_[head]; }
  uint32_t row_of(uint32_t head, uint32_t k) const { return unique_ ? head : rows_[first_[head] + k]; }
  // Whether no key has two table rows (so a stream row has at most one pair).
  bool unique() const { return unique_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  static constexpr size_t kChunk = 4096;  // rows hashed at a time: the hashes stay in cache
  // An index of kFarSlots slots or more is far larger than the cache: a
  // probe misses on its slot and its table key, so both are asked for ahead.
  static constexpr size_t kFarSlots = size_t{1} << 16;
  static constexpr size_t kPrefetch = 16;
  // An insert waits on nothing but its slot, so it runs further ahead (16: 3% more CPU for a 1 M-row table).
  static constexpr size_t kBuildPrefetch = 64;
  struct Slot {
    uint32_t row;  // the key's head, or kEmpty
    uint32_t tag;  // the high half of the key's hash
  };

  // Indexes `row` under its key, unless an earlier row has that key; returns the key's head.
  uint32_t insert(uint32_t row, uint64_t hash) {
    const size_t mask = slots_.size() - 1;
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    size_t slot = hash & mask;
    for (; slots_[slot].row != kEmpty; slot = (slot + 1) & mask) {
      const Slot s = slots_[slot];
      if (s.tag == tag && GroupTable::same_keys(flat_keys_, row, flat_keys_, s.row)) return s.row;
    }
    slots_[slot] = Slot{row, tag};
    return row;
  }

  // In stages, each reading what the one before brought in: the slot of row
  // i + 2 * kPrefetch, the table keys of the slot of row i + kPrefetch, and
  // the string bytes of the table keys of row i + kPrefetch / 2.
  void prefetch_ahead(const std::vector<uint64_t>& hashes, size_t i, size_t n) const {
    const size_t mask = slots_.size() - 1;
    if (i + 2 * kPrefetch < n) __builtin_prefetch(&slots_[hashes[i + 2 * kPrefetch] & mask]);
    if (i + kPrefetch < n) {
      const uint32_t row = slots_[hashes[i + kPrefetch] & mask].row;
      if (row != kEmpty)
        for (const Column* k : flat_keys_)
          __builtin_prefetch(k->data<uint8_t>() + size_t{row} * physical_width(k->id()));
    }
    if (i + kPrefetch / 2 < n) {
      const uint32_t row = slots_[hashes[i + kPrefetch / 2] & mask].row;
      if (row != kEmpty)
        for (const Column* k : flat_keys_)
          if (k->type().is_string_like()) __builtin_prefetch(k->data<std::string_view>()[row].data());
    }
  }

  // The table rows whose `=` keys are all non-null (the others match
  // nothing), found a range at a time: a list of all of them would be as
  // long as the table, only to be read once.
  class RowsWithKey {
   public:
    RowsWithKey(const JoinPlan& plan, const std::vector<ColumnRef>& keys, size_t n) : plan_(plan), keys_(keys) {
      all_ = std::all_of(keys.begin(), keys.end(), [](const ColumnRef& k) { return k->all_valid(); });
      for (size_t r = 0; r < n; ++r) count_ += has(static_cast<uint32_t>(r));
    }
    size_t count() const { return count_; }
    bool has(uint32_t r) const { return all_ || !has_null_key(plan_.keys, keys_, r); }
    // The rows of [begin, end) with a key, into `rows`.
    void in(size_t begin, size_t end, std::vector<uint32_t>& rows) const {
      rows.clear();
      for (size_t r = begin; r < end; ++r)
        if (has(static_cast<uint32_t>(r))) rows.push_back(static_cast<uint32_t>(r));
    }

   private:
    const JoinPlan& plan_;
    const std::vector<ColumnRef>& keys_;
    bool all_;
    size_t count_ = 0;
  };

  // Counting sort of the kept rows by their key's head (a head's own, or as `repeats` gives it).
  void bucket(const RowsWithKey& kept, const std::vector<std::pair<uint32_t, uint32_t>>& repeats, size_t num_rows) {
    std::vector<uint32_t> head_of(num_rows);
    std::iota(head_of.begin(), head_of.end(), uint32_t{0});
    for (auto [row, head] : repeats) head_of[row] = head;
    first_.assign(num_rows + 1, 0);
    for (uint32_t row = 0; row < num_rows; ++row) first_[head_of[row] + 1] += kept.has(row);
    for (size_t r = 0; r < num_rows; ++r) first_[r + 1] += first_[r];
    rows_.resize(kept.count());
    std::vector<uint32_t> next(first_.begin(), first_.end() - 1);
    for (uint32_t row = 0; row < num_rows; ++row)
      if (kept.has(row)) rows_[next[head_of[row]]++] = row;
  }

  std::unique_ptr<GroupTable> hasher_;  // for its hashes() only: the index is the slots
  std::vector<ColumnRef> keys_;         // the table's key columns (its own, or computed from them)
  std::vector<const Column*> flat_keys_;
  LargeVector<Slot> slots_;
  std::vector<uint32_t> first_;  // per table row, and one more; empty when unique_
  std::vector<uint32_t> rows_;   // empty when unique_
  bool unique_ = true;
  bool empty_ = true;
};

class StaticJoinOperator final : public Operator {
 public:
  StaticJoinOperator(JoinPlan plan, std::unique_ptr<StaticTable> table)
      : plan_(std::move(plan)), table_(std::move(table)) {
    table_->refresh();
    build_.build(plan_, *table_, {});
  }

  SchemaRef output_schema() const override { return plan_.output_schema; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (ctx.batch_id != checked_batch_) {  // the first batch of a micro-batch: has the table changed?
      checked_batch_ = ctx.batch_id;
      if (table_->refresh()) build_.build(plan_, *table_, ctx.eval);
    }
    if (batch.empty()) return;
    std::vector<uint32_t> left, right;  // pairs: a physical row of `batch`, a table row
    match(ctx, batch, left, right);
    if (plan_.type == JoinType::LeftSemi || plan_.type == JoinType::LeftAnti) return emit_filtered(batch, left, out);
    if (build_.unique()) return emit_aligned(batch, std::move(left), right, out);
    if (plan_.type == JoinType::LeftOuter) add_misses(batch, left, right);
    emit_pairs(batch, left, right, out);
  }

  std::string explain() const override {
    const std::string keys = describe_keys(plan_), residual = describe_residual(plan_);
    return "StaticJoin " + std::string(join_type_name(plan_.type)) + (keys.empty() ? "" : " [keys: " + keys + "]") +
           (residual.empty() ? "" : " [condition: " + residual + "]") + " table " + table_->name() + " (" +
           std::to_string(table_->rows()) + " rows)";
  }

 private:
  // The (stream row, table row) pairs whose keys match and residual holds,
  // in stream order. The batch is probed through its selection vector: the
  // filtered-out rows are never copied or looked up.
  void match(const BatchContext& ctx, const Batch& batch, std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
    std::vector<uint32_t> key_rows;
    std::vector<ColumnRef> keys = probe_keys(ctx, batch, key_rows);
    build_.probe(keys, key_rows, heads_);
    left.reserve(batch.size());
    right.reserve(batch.size());
    for (size_t i = 0; i < heads_.size(); ++i) {
      if (heads_[i] == kNoMatch) continue;
      for (uint32_t k = 0, n = build_.count_of(heads_[i]); k < n; ++k) {
        left.push_back(batch.row(i));
        right.push_back(build_.row_of(heads_[i], k));
      }
    }
    keep_residual(plan_, ctx.eval, batch.columns, batch.num_rows, table_->columns(), table_->rows(), left, right);
  }

  // The stream's key columns and, per visible row, its row in them. Bare
  // column keys are the batch's own columns, read at the physical rows; a
  // computed key is evaluated over the dense copy, so that it is computed for
  // the visible rows only.
  std::vector<ColumnRef> probe_keys(const BatchContext& ctx, const Batch& batch,
                                    std::vector<uint32_t>& key_rows) const {
    auto is_bare = [](const JoinKey& k) { return k.left->column_index().has_value(); };
    const bool bare = std::all_of(plan_.keys.begin(), plan_.keys.end(), is_bare);
    if (bare && batch.sel) {
      key_rows.assign(batch.sel->begin(), batch.sel->end());
      return key_columns(plan_.keys, false, Batch{batch.schema, batch.columns, batch.num_rows, nullptr}, ctx.eval);
    }
    key_rows.resize(batch.size());
    std::iota(key_rows.begin(), key_rows.end(), uint32_t{0});
    return key_columns(plan_.keys, false, batch.dense(), ctx.eval);
  }

  // Left outer: a stream row without a pair gets one with no table row, in stream order.
  static void add_misses(const Batch& batch, std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
    std::vector<uint32_t> all_left, all_right;
    size_t p = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const uint32_t row = batch.row(i);
      if (p == left.size() || left[p] != row) {
        all_left.push_back(row);
        all_right.push_back(kNoMatch);
      }
      for (; p < left.size() && left[p] == row; ++p) {
        all_left.push_back(row);
        all_right.push_back(right[p]);
      }
    }
    left.swap(all_left);
    right.swap(all_right);
  }

  // Semi/anti: the stream rows with (without) a pair, as a selection over the batch.
  void emit_filtered(const Batch& batch, const std::vector<uint32_t>& left, const Emit& out) const {
    std::vector<uint8_t> matched(batch.num_rows, 0);
    for (uint32_t row : left) matched[row] = 1;
    const uint8_t want = plan_.type == JoinType::LeftSemi;
    auto sel = std::make_shared<std::vector<uint32_t>>();
    for (size_t i = 0; i < batch.size(); ++i)
      if (matched[batch.row(i)] == want) sel->push_back(batch.row(i));
    if (sel->empty()) return;
    emit_selected(batch, std::move(sel), {}, out);
  }

  // At most one pair per stream row: the output rows are stream rows, so the
  // stream's columns pass on untouched under a selection (the batch's own
  // for a left outer join, the matched rows for an inner one) and the
  // table's columns are gathered to the stream's physical rows.
  void emit_aligned(const Batch& batch, std::vector<uint32_t>&& left, const std::vector<uint32_t>& right,
                    const Emit& out) const {
    if (plan_.type == JoinType::Inner && left.empty()) return;
    // A row outside the output may read any table row; a left outer miss reads none (a null).
    std::vector<uint32_t> table_row(batch.num_rows, 0);
    if (plan_.type == JoinType::LeftOuter)
      for (size_t i = 0; i < batch.size(); ++i) table_row[batch.row(i)] = kNoMatch;
    for (size_t k = 0; k < left.size(); ++k) table_row[left[k]] = right[k];
    std::vector<ColumnRef> table_columns = gather_rows(table_->columns(), table_->rows(), table_row);
    auto sel = plan_.type == JoinType::Inner ? std::make_shared<const std::vector<uint32_t>>(std::move(left))
                                             : batch.sel;
    emit_selected(batch, std::move(sel), table_columns, out);
  }

  // The output columns over the batch's physical rows: the stream's, and the
  // table's `table_columns` (aligned with them), under `sel`.
  void emit_selected(const Batch& batch, std::shared_ptr<const std::vector<uint32_t>> sel,
                     const std::vector<ColumnRef>& table_columns, const Emit& out) const {
    Batch result{plan_.output_schema, {}, batch.num_rows, std::move(sel)};
    for (auto& o : plan_.output)
      result.columns.push_back(o.from_right ? table_columns[o.index] : batch.columns[o.index]);
    out(result);
  }

  void emit_pairs(const Batch& batch, const std::vector<uint32_t>& left, const std::vector<uint32_t>& right,
                  const Emit& out) const {
    if (left.empty()) return;
    Batch result = output_pairs(plan_, batch.columns, batch.num_rows, table_->columns(), table_->rows(), left, right);
    out(result);
  }

  JoinPlan plan_;
  std::unique_ptr<StaticTable> table_;
  BuildSide build_;
  int64_t checked_batch_ = -1;
  std::vector<uint32_t> heads_;  // scratch
};

// Spark's UnsupportedOperationChecker on a static right side, in its words.
void check_static_type(JoinType type, const config::Node& at) {
  if (type == JoinType::RightOuter)
    at.fail("RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the "
            "right not supported");
  if (type == JoinType::FullOuter)
    at.fail("FullOuter joins with streaming DataFrames/Datasets on the left and a static DataFrame/Dataset on the "
            "right is not supported");
}

}  // namespace

std::unique_ptr<Operator> plan_join(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (!value.is_map()) value.fail("expected a map {with: NAME, type, on: expr} or {with, type, using: [col]}");
  value.check_keys({"with", "type", "on", "using", "left_as", "right_as"});
  const config::Node with = value.required("with");
  const std::string name = with.str();
  if (ctx.find_stream && ctx.find_stream(name)) return plan_stream_join(ctx);
  auto table_config = std::find_if(ctx.pipeline.tables.begin(), ctx.pipeline.tables.end(),
                                   [&](auto& t) { return t.name == name; });
  if (table_config == ctx.pipeline.tables.end()) with.fail("'" + name + "' is not a table, source or transform");
  const JoinType type = parse_type(value["type"]);
  check_static_type(type, value["type"]);
  auto table = std::make_unique<StaticTable>(ctx.pipeline, *table_config);
  JoinPlan plan = plan_join_condition(ctx.step, ctx.pipeline, type, *ctx.input, *table->schema(), name);
  return std::make_unique<StaticJoinOperator>(std::move(plan), std::move(table));
}

}  // namespace runnel
