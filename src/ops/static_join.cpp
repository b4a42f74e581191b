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
#include <future>
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
    std::string listing = list_source_files(path_);
    if (loaded_ && listing == listing_) return false;
    std::unique_ptr<Source> source = unread_ ? std::move(unread_) : fresh_source();
    auto offset = source->latest_offset(std::chrono::milliseconds(0));
    start_columns();
    if (offset) source->read(nullptr, *offset, [&](Batch& b) { append(b.dense()); });
    listing_ = std::move(listing);
    loaded_ = true;
    return true;
  }

 private:
  std::unique_ptr<Source> fresh_source() const {
    return find_source_type("file")->create(SourceContext{pipeline_, config_, false});
  }

  void start_columns() {
    rows_ = 0;
    columns_.clear();
    for (auto& field : schema_->fields) columns_.push_back(Column::make(field.type));
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
    if (!src.type().is_string_like()) return;
    std::string_view* views = dst.data<std::string_view>() + at;
    Arena& arena = dst.arena();
    for (size_t r = 0; r < n; ++r) views[r] = arena.copy(views[r]);
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

// The table's rows by key: a GroupTable of the keys, and each group's rows
// contiguous in `rows` (group g's are rows[first[g]..first[g+1]), or with
// unique keys, the common case of a dimension table, just rows[g]).
class BuildSide {
 public:
  void build(const JoinPlan& plan, const StaticTable& table, const expr::EvalContext& eval) {
    groups_ = std::make_unique<GroupTable>(flat_key_types(plan.keys));
    groups_->share_key_strings();  // the keys' bytes stay the table's, not a second copy
    Batch batch{table.schema(), table.columns(), table.rows(), nullptr};
    std::vector<ColumnRef> keys = key_columns(plan.keys, true, batch, eval);
    std::vector<uint32_t> kept = rows_without_null_key(plan, keys, table.rows());
    std::vector<uint32_t> group_of(kept.size());
    groups_->reserve(kept.size());
    if (!plan.keys.empty()) groups_->find_or_insert(flat_key_columns(keys), kept.data(), kept.size(), group_of.data());
    const size_t num_groups = plan.keys.empty() ? (kept.empty() ? 0 : 1) : groups_->size();
    unique_ = num_groups == kept.size();
    if (unique_) {
      rows_.resize(kept.size());
      for (size_t i = 0; i < kept.size(); ++i) rows_[group_of[i]] = kept[i];
      first_.clear();
    } else {
      bucket(kept, group_of, num_groups);
    }
  }

  // The group of each key row rows[i], or GroupTable::kNoGroup.
  void probe(const JoinPlan& plan, const std::vector<ColumnRef>& keys, const std::vector<uint32_t>& rows,
             std::vector<uint32_t>& group_of) {
    const size_t n = rows.size();
    group_of.assign(n, GroupTable::kNoGroup);
    if (rows_.empty()) return;  // an empty table
    if (plan.keys.empty()) {
      std::fill(group_of.begin(), group_of.end(), 0);
      return;
    }
    groups_->find(flat_key_columns(keys), rows.data(), n, group_of.data());
    for (size_t i = 0; i < n; ++i)
      if (group_of[i] != GroupTable::kNoGroup && has_null_key(plan.keys, keys, rows[i]))
        group_of[i] = GroupTable::kNoGroup;
  }

  const uint32_t* rows_of(uint32_t g) const { return rows_.data() + (unique_ ? g : first_[g]); }
  uint32_t count_of(uint32_t g) const { return unique_ ? 1 : first_[g + 1] - first_[g]; }
  // Whether no key has two table rows (so a stream row has at most one pair).
  bool unique() const { return unique_; }

 private:
  // The rows [0, n) whose `=` keys are all non-null (the others match nothing).
  static std::vector<uint32_t> rows_without_null_key(const JoinPlan& plan, const std::vector<ColumnRef>& keys,
                                                     size_t n) {
    std::vector<uint32_t> rows(n);
    std::iota(rows.begin(), rows.end(), uint32_t{0});
    if (std::all_of(keys.begin(), keys.end(), [](const ColumnRef& k) { return k->all_valid(); })) return rows;
    std::erase_if(rows, [&](uint32_t r) { return has_null_key(plan.keys, keys, r); });
    return rows;
  }

  // Counting sort of the rows by group.
  void bucket(const std::vector<uint32_t>& kept, const std::vector<uint32_t>& group_of, size_t num_groups) {
    first_.assign(num_groups + 1, 0);
    for (size_t i = 0; i < kept.size(); ++i) ++first_[group_of[i] + 1];
    for (size_t g = 0; g < num_groups; ++g) first_[g + 1] += first_[g];
    rows_.resize(kept.size());
    std::vector<uint32_t> next(first_.begin(), first_.end() - 1);
    for (size_t i = 0; i < kept.size(); ++i) rows_[next[group_of[i]]++] = kept[i];
  }

  std::unique_ptr<GroupTable> groups_;
  std::vector<uint32_t> first_;  // empty when unique_
  std::vector<uint32_t> rows_;
  bool unique_ = true;
};

class StaticJoinOperator final : public Operator {
 public:
  // In the background, the table loads on a thread while the stream runs:
  // the batches that reach the join before it is loaded wait (up to
  // kMaxDeferredRows rows) and are joined, in order, once it is, at the
  // latest at the end of their micro-batch.
  StaticJoinOperator(JoinPlan plan, std::unique_ptr<StaticTable> table, bool in_background)
      : plan_(std::move(plan)), table_(std::move(table)) {
    if (in_background) loading_ = std::async(std::launch::async, [this] { load(); });
    else load();
  }

  SchemaRef output_schema() const override { return plan_.output_schema; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (!table_ready(batch.num_rows)) {  // a batch's columns are immutable: keeping them is enough
      deferred_.push_back(Deferred{ctx, batch, out});
      deferred_rows_ += batch.num_rows;
      return;
    }
    join_deferred();
    join_batch(ctx, batch, out);
  }

  // The micro-batch's rows are all joined before it ends, and one in which
  // no row reached the join still reports a bad table.
  void end_batch(const BatchContext&, const Emit&) override {
    await_ready();
    join_deferred();
  }

  // Waits for a background load, throwing what it threw (once: the run ends there).
  void await_ready() const override {
    if (loading_.valid()) loading_.get();
  }

  std::string explain() const override {
    await_ready();
    const std::string keys = describe_keys(plan_), residual = describe_residual(plan_);
    return "StaticJoin " + std::string(join_type_name(plan_.type)) + (keys.empty() ? "" : " [keys: " + keys + "]") +
           (residual.empty() ? "" : " [condition: " + residual + "]") + " table " + table_->name() + " (" +
           std::to_string(table_->rows()) + " rows)";
  }

 private:
  // Stream rows held while the table loads: enough to hide a large table's
  // load behind the stream's parsing, bounded so that they fit in memory.
  static constexpr size_t kMaxDeferredRows = size_t{1} << 20;
  struct Deferred {
    BatchContext ctx;
    Batch batch;
    Emit out;
  };

  void load() {
    table_->refresh();
    build_.build(plan_, *table_, {});
  }


  // Whether the table is loaded; waits for it when `rows` more would exceed kMaxDeferredRows.
  bool table_ready(size_t rows) {
    if (!loading_.valid()) return true;
    const bool room = deferred_rows_ + rows <= kMaxDeferredRows;
    if (room && loading_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    await_ready();
    return true;
  }

  void join_deferred() {
    for (Deferred& d : deferred_) join_batch(d.ctx, d.batch, d.out);
    deferred_.clear();
    deferred_rows_ = 0;
  }

  void join_batch(const BatchContext& ctx, Batch& batch, const Emit& out) {
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

  // The (stream row, table row) pairs whose keys match and residual holds,
  // in stream order. The batch is probed through its selection vector: the
  // filtered-out rows are never copied or looked up.
  void match(const BatchContext& ctx, const Batch& batch, std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
    std::vector<uint32_t> key_rows;
    std::vector<ColumnRef> keys = probe_keys(ctx, batch, key_rows);
    build_.probe(plan_, keys, key_rows, group_of_);
    left.reserve(batch.size());
    right.reserve(batch.size());
    for (size_t i = 0; i < group_of_.size(); ++i) {
      if (group_of_[i] == GroupTable::kNoGroup) continue;
      const uint32_t* rows = build_.rows_of(group_of_[i]);
      for (uint32_t k = 0, n = build_.count_of(group_of_[i]); k < n; ++k) {
        left.push_back(batch.row(i));
        right.push_back(rows[k]);
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
  std::vector<uint32_t> group_of_;  // scratch
  std::vector<Deferred> deferred_;  // in arrival order
  size_t deferred_rows_ = 0;
  // Last, so that it is destroyed first: its destructor waits for the load that uses the members above.
  mutable std::future<void> loading_;
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
  return std::make_unique<StaticJoinOperator>(std::move(plan), std::move(table), ctx.background_table_loads);
}

}  // namespace runnel
