// Aggregate (`aggregate: {group_by, aggregates}`, Spark's groupBy().agg()) as a
// streaming stateful operator (Spark's StateStoreRestore/Save pair in one).
//
// push(): evaluates the key and argument expressions column-at-a-time, then
// for each window pass (one without a window key) hashes the key columns,
// finds or inserts the groups in a GroupTable and folds the rows into the
// accumulators (one per distinct aggregate call of the `aggregates:` entries).
// end_batch() emits per output mode — the keys, then each entry evaluated over
// the keys and the accumulators' results — and evicts by watermark:
//   complete  every group, every batch; nothing is evicted, nothing is late
//   update    the groups changed in this batch; then the groups the watermark closed are dropped
//   append    the groups the watermark closed, once, as they are dropped
// With an event-time key (a window over the watermarked column, or that
// column itself) and append/update, rows at or before the previous batch's
// watermark are dropped as late; a group is closed when its event time (the
// window's end) is at or before the current watermark. numRowsDroppedByWatermark
// counts the late groups of a batch, as Spark drops partial aggregates (one per
// group of an input partition; runnel's micro-batch is one partition).
#include <algorithm>
#include <numeric>
#include <optional>

#include "base/error.hpp"
#include "config/node.hpp"
#include "expr/ast.hpp"
#include "functions/function.hpp"
#include "ops/aggregate/accumulator.hpp"
#include "ops/aggregate/hll.hpp"
#include "ops/aggregate/percentile.hpp"
#include "ops/aggregate/session_window.hpp"
#include "ops/aggregate/window.hpp"
#include "ops/selection.hpp"
#include "plan/steps.hpp"
#include "state/codec.hpp"
#include "state/group_table.hpp"
#include "state/state_store.hpp"

namespace runnel {

namespace {

struct KeySpec {
  std::unique_ptr<expr::Expression> expr;  // the key, or the window's time column
  std::optional<WindowSpec> window;
  std::optional<SessionSpec> session;
  std::unique_ptr<expr::Expression> gap;  // a session's per-row gap, else nullptr
  std::string name;  // the output column
  std::string text;  // for explain
  std::string display;  // Spark's name of the key expression (no alias), to find it in aggregates
};

struct AggregateSpec {
  AggregateKind kind;
  std::unique_ptr<expr::Expression> arg;  // nullptr for count(*)
  std::unique_ptr<expr::Expression> ordering;  // min_by/max_by's second argument, else nullptr
  std::unique_ptr<Accumulator> acc;
  std::string name;  // Spark's name of the call
};

// An entry of the aggregates: list.
struct OutputSpec {
  std::unique_ptr<expr::Expression> expr;  // over the slots: the keys, then the aggregates' results
  std::string name;  // the output column
  std::string text;  // for explain
};

const DataType& window_type() {
  static const DataType type = DataType::struct_of(
      {Field{"start", DataType::of(TypeId::Timestamp)}, Field{"end", DataType::of(TypeId::Timestamp)}});
  return type;
}

const char* mode_name(OutputMode mode) {
  switch (mode) {
    case OutputMode::Append: return "append";
    case OutputMode::Update: return "update";
    case OutputMode::Complete: return "complete";
  }
  return "?";
}

class AggregateOperator final : public Operator {
 public:
  AggregateOperator(std::vector<KeySpec> keys, std::vector<AggregateSpec> aggregates, std::vector<OutputSpec> outputs,
                    std::optional<size_t> event_time_key, std::string event_time_column)
      : keys_(std::move(keys)),
        aggregates_(std::move(aggregates)),
        outputs_(std::move(outputs)),
        event_time_key_(event_time_key),
        event_time_column_(std::move(event_time_column)),
        table_(key_types()),
        late_table_(key_types()) {
    std::vector<Field> fields;
    for (auto& k : keys_) {
      fields.push_back({k.name, k.window || k.session ? window_type() : k.expr->type()});
      inputs_.insert(inputs_.end(), k.expr->inputs().begin(), k.expr->inputs().end());
      if (k.gap) inputs_.insert(inputs_.end(), k.gap->inputs().begin(), k.gap->inputs().end());
    }
    if (session_key()) {
      std::vector<DataType> others = key_types();
      others.pop_back();
      sessions_.emplace(std::move(others), keys_.size() - 1);
      progress_.operator_name = "sessionWindowStateStoreSaveExec";  // Spark's name
    }
    std::vector<Field> slots = fields;
    for (auto& a : aggregates_) {
      slots.push_back({a.name, a.acc->result_type()});
      if (a.arg) inputs_.insert(inputs_.end(), a.arg->inputs().begin(), a.arg->inputs().end());
      if (a.ordering) inputs_.insert(inputs_.end(), a.ordering->inputs().begin(), a.ordering->inputs().end());
    }
    for (auto& o : outputs_) fields.push_back({o.name, o.expr->type()});
    schema_ = std::make_shared<Schema>(Schema{std::move(fields)});
    slot_schema_ = std::make_shared<Schema>(Schema{std::move(slots)});
    if (keys_.empty()) {  // a global aggregation always has its one group
      uint32_t row = 0, group = 0;
      table_.find_or_insert({}, &row, 1, &group);
      grow_groups();
    }
  }

  SchemaRef output_schema() const override { return schema_; }
  bool stateful() const override { return true; }

  std::string set_output_mode(OutputMode mode) override {
    if (mode_ && *mode_ != mode)
      return std::string("the aggregation feeds sinks with different output modes (") + mode_name(*mode_) + " and " +
             mode_name(mode) + "); give each mode its own transform";
    if (mode == OutputMode::Append && !event_time_key_)
      return "Append output mode not supported when there are streaming aggregations on streaming "
             "DataFrames/DataSets without watermark";
    if (mode == OutputMode::Update && sessions_)
      return "Update output mode not supported for session window on streaming DataFrames/DataSets";
    mode_ = mode;
    return "";
  }

  void push(const BatchContext& ctx, Batch& batch, const Emit&) override {
    if (batch.empty()) return;
    table_.set_now(ctx.eval.batch_timestamp_us / 1000);
    Batch dense = dense_inputs(batch, inputs_);
    const size_t n = dense.num_rows;
    std::vector<ColumnRef> key_values;
    for (auto& k : keys_) key_values.push_back(k.expr->evaluate(dense, ctx.eval));
    std::vector<ColumnRef> args;
    std::vector<ColumnRef> orderings;
    for (auto& a : aggregates_) {
      args.push_back(a.arg ? a.arg->evaluate(dense, ctx.eval) : nullptr);
      orderings.push_back(a.ordering ? a.ordering->evaluate(dense, ctx.eval) : nullptr);
    }
    // A window key's column holds the window starts of the current pass (a
    // session key's, the session starts).
    std::vector<const Column*> key_columns(keys_.size());  // in the table's order
    ColumnRef starts;
    const KeySpec* window = nullptr;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i].window || keys_[i].session) {
        window = &keys_[i];
        starts = Column::make(DataType::of(TypeId::Timestamp), n);
        starts->resize(n);
        key_columns[column_of(i)] = starts.get();
      } else {
        key_columns[column_of(i)] = key_values[i].get();
      }
    }
    rows_.resize(n);
    groups_.resize(n);
    const size_t passes = window && window->window ? window->window->passes() : 1;
    for (size_t pass = 0; pass < passes; ++pass) {
      size_t m = n;
      if (window && window->session) {
        ColumnRef gaps = window->gap ? window->gap->evaluate(dense, ctx.eval) : nullptr;
        const Column& time = *key_values[static_cast<size_t>(window - keys_.data())];
        row_ends_.resize(n);
        m = window->session->assign(time, gaps.get(), n, starts->data<int64_t>(), row_ends_.data(), rows_.data());
      } else if (window) {
        const Column& time = *key_values[static_cast<size_t>(window - keys_.data())];
        m = window->window->assign(time, n, pass, starts->data<int64_t>(), rows_.data());
      } else {
        std::iota(rows_.begin(), rows_.end(), 0u);
      }
      m = drop_late(ctx, key_columns, m);
      if (m == 0) continue;
      if (sessions_) {
        sessions_->assign(table_, key_columns, starts->data<int64_t>(), row_ends_.data(), rows_.data(), m,
                          groups_.data(), [&](std::string_view prefix) { load_spilled_key(prefix); });
        grow_groups();
        merge_sessions();
        // Stored sessions that rows extend or that absorb others change without find_or_insert.
        table_.mark_changed(groups_.data(), m);
        table_.mark_changed(sessions_->merge_targets().data(), sessions_->merge_targets().size());
      } else {
        const auto before = static_cast<uint32_t>(table_.size());
        table_.find_or_insert(key_columns, rows_.data(), m, groups_.data());
        grow_groups();
        if (table_.spilled()) reload_new_groups(table_, *spill_store_, before, decoder());
      }
      for (size_t a = 0; a < aggregates_.size(); ++a) {
        if (orderings[a])
          aggregates_[a].acc->update_ordered(args[a].get(), orderings[a].get(), rows_.data(), groups_.data(), m);
        else
          aggregates_[a].acc->update(args[a].get(), rows_.data(), groups_.data(), m);
      }
      for (size_t i = 0; i < m; ++i) updated_[groups_[i]] = 1;
    }
  }

  std::string set_state_ttl(int64_t ttl_ms) override {
    if (keys_.empty()) return "state_ttl needs an aggregation with group_by keys (a global aggregate has one row)";
    table_.set_ttl(ttl_ms);
    return "";
  }

  void end_batch(const BatchContext& ctx, const Emit& out) override {
    const OutputMode mode = mode_.value_or(OutputMode::Update);
    if (table_.spilled()) reload_for_batch(ctx, mode);
    if (sessions_ && sessions_->any_dead()) drop_merged_sessions();
    if (table_.has_ttl()) expire_untouched(ctx.eval.batch_timestamp_us / 1000);
    if (keys_.empty()) updated_[0] = 1;  // Spark's partial aggregate always yields the global row
    std::vector<uint32_t> emit;
    for (uint32_t g = 0; g < table_.size(); ++g) {
      bool wanted = mode == OutputMode::Complete || (mode == OutputMode::Update && updated_[g]) ||
                    (mode == OutputMode::Append && closed(g, ctx.watermark_us));
      if (wanted) emit.push_back(g);
    }
    emit_groups(emit, ctx.eval, out);
    progress_.rows_updated = static_cast<uint64_t>(std::count(updated_.begin(), updated_.end(), 1));
    if (evicts() && ctx.watermark_us != kNoWatermark) evict(ctx.watermark_us);
    std::fill(updated_.begin(), updated_.end(), 0);
    eviction_watermark_ = ctx.watermark_us;
    progress_.rows_total = table_.size() + table_.spilled();
    progress_.rows_dropped_by_watermark = late_table_.size();
    if (late_table_.size()) late_table_ = GroupTable(key_types());
    progress_.memory_used_bytes = memory_bytes();
  }

  bool needs_batch(int64_t next_watermark_us) const override {
    return evicts() && next_watermark_us != kNoWatermark && next_watermark_us > eviction_watermark_;
  }

  std::optional<StateOperatorProgress> state_progress() const override { return progress_; }

  // One entry per group: the encoded key, and the accumulators' states in order.
  void save_state(StateStore& store) const override {
    save_groups(table_, store, [&](uint32_t g, std::string& value) {
      if (sessions_) codec::put(value, sessions_->end(g));
      for (auto& a : aggregates_) a.acc->encode(g, value);
    });
  }

  void load_state(const StateStore& store) override {
    if (spills()) {  // nothing loaded: rows and the watermark bring groups back as they need them
      spill_store_ = &store;
      if (sessions_) sessions_->forget_spilled();
      reload_spilled(table_, store, [&](const std::vector<const Column*>& keys, size_t row, std::string_view value) {
        note_spilled(keys, row, value);
        return false;
      }, decoder());
      if (sessions_) sessions_->sort_spilled();
      return;
    }
    load_groups(table_, store, decoder());
    if (sessions_) sessions_->rebuild(table_);
  }

  void set_state_memory(size_t budget_bytes) override {
    state_memory_ = budget_bytes;
    table_.track_recency();
  }

  // Keeps the most recently touched groups; the rest stay in the store only.
  void spill(const StateStore& store) override {
    const size_t n = table_.size();
    if (!spills() || n == 0 || memory_bytes() <= state_memory_) return;
    spill_store_ = &store;
    std::vector<uint8_t> keep = table_.most_recent_within(state_memory_, memory_bytes());
    if (sessions_) sessions_->keep_whole_keys(keep);
    for (uint32_t g = 0; g < n; ++g)
      if (!keep[g]) note_spilled_time(spilled_event_time(g));
    compact_values(table_.spill(keep, store));
  }

  std::string explain() const override {
    std::string s = "Aggregate [keys: ";
    for (size_t i = 0; i < keys_.size(); ++i) s += (i ? ", " : "") + keys_[i].text;
    s += "] [aggregates: ";
    for (size_t i = 0; i < outputs_.size(); ++i) s += (i ? ", " : "") + outputs_[i].text;
    s += "] [event time: " + (event_time_key_ ? event_time_column_ : "none");
    s += "] [output mode: " + std::string(mode_ ? mode_name(*mode_) : "none") + "]";
    return s;
  }

 private:
  // The table's key types: the keys in order, but a session start last, so
  // that the store's entries of one key's sessions are adjacent (SessionWindows).
  std::vector<DataType> key_types() const {
    std::vector<DataType> types(keys_.size());
    for (size_t k = 0; k < keys_.size(); ++k)
      types[column_of(k)] = keys_[k].window || keys_[k].session ? DataType::of(TypeId::Timestamp) : keys_[k].expr->type();
    return types;
  }

  std::optional<size_t> session_key() const {
    for (size_t k = 0; k < keys_.size(); ++k)
      if (keys_[k].session) return k;
    return std::nullopt;
  }

  // The table's column of key k (see key_types).
  size_t column_of(size_t k) const {
    const std::optional<size_t> session = session_key();
    if (!session || k < *session) return k;
    return k == *session ? keys_.size() - 1 : k - 1;
  }

  bool evicts() const { return event_time_key_ && mode_ && *mode_ != OutputMode::Complete; }

  // Spilling is for keyed state that rows and the watermark find by key:
  // not a global aggregation's one row.
  bool spills() const { return state_memory_ > 0 && !keys_.empty(); }

  // The group's stored value (save_state's layout) into group g.
  std::function<void(uint32_t, std::string_view&)> decoder() {
    return [this](uint32_t g, std::string_view& value) {
      grow_groups();
      if (sessions_) sessions_->set_end(g, codec::get<int64_t>(value));
      for (auto& a : aggregates_) a.acc->decode(g, value);
    };
  }

  // A group left in the store: the earliest event time among them tells when
  // the watermark closes one (kEndOfTime for a group it never closes).
  void note_spilled_time(int64_t time) {
    if (evicts()) spilled_min_time_ = std::min(spilled_min_time_, time);
  }
  // Group g's event time: its session's end, its window's, its time key.
  int64_t spilled_event_time(uint32_t g) const {
    if (!event_time_key_) return kEndOfTime;
    if (session_time()) return sessions_->end(g);
    return stored_event_time(*table_.key_columns()[column_of(*event_time_key_)], g, "");
  }
  // The same of a stored group: row `row` of its event-time key column
  // `time`, or its stored value (save_state's) that starts with a session's end.
  int64_t stored_event_time(const Column& time, size_t row, std::string_view value) const {
    if (session_time()) return codec::get<int64_t>(value);
    return time.is_valid(row) ? event_time(time, row) : kEndOfTime;
  }
  // A stored group that stays in the store during a scan (`keys` its key decoded, as the table's columns).
  void note_spilled(const std::vector<const Column*>& keys, size_t row, std::string_view value) {
    if (sessions_) sessions_->note_spilled(keys, row);
    if (event_time_key_) note_spilled_time(stored_event_time(*keys[column_of(*event_time_key_)], row, value));
  }

  // Brings back the spilled groups this batch outputs, evicts or expires.
  // Before anything leaves the table: until the next save, a scan would take
  // the stored copy of a group dropped (merged away, expired) for a spilled one.
  void reload_for_batch(const BatchContext& ctx, OutputMode mode) {
    const auto before = static_cast<uint32_t>(table_.size());
    reload_for_output(ctx.watermark_us, mode);
    if (table_.has_ttl()) reload_expired(table_, *spill_store_, ctx.eval.batch_timestamp_us / 1000, decoder());
    if (sessions_) sessions_->add_groups(table_, before);
  }

  // The spilled groups this batch outputs or evicts: all of them in complete
  // mode, else those the watermark closes.
  void reload_for_output(int64_t watermark, OutputMode mode) {
    const bool all = mode == OutputMode::Complete;
    if (!all && (!evicts() || watermark == kNoWatermark || spilled_min_time_ > watermark)) return;
    spilled_min_time_ = kEndOfTime;
    if (sessions_) sessions_->forget_spilled();
    reload_spilled(table_, *spill_store_, [&](const std::vector<const Column*>& keys, size_t row, std::string_view value) {
      if (all || stored_event_time(*keys[column_of(*event_time_key_)], row, value) <= watermark) return true;
      note_spilled(keys, row, value);
      return false;
    }, decoder());
    if (sessions_) sessions_->sort_spilled();
  }

  // A spilled key's sessions back into the table (SessionWindows::LoadKey),
  // with their stored touch times: push touches those its rows reach.
  void load_spilled_key(std::string_view prefix) {
    const auto first = static_cast<uint32_t>(table_.size());
    spill_store_->for_each_with_prefix(prefix, [&](std::string_view key, std::string_view) {
      table_.find_or_insert_encoded(key);
    });
    reload_new_groups(table_, *spill_store_, first, decoder(), false);
  }

  // The event time of a group or row: a window's end, or the time key itself.
  int64_t event_time(const Column& key, size_t i) const {
    int64_t t = key.data<int64_t>()[i];
    const auto& window = keys_[*event_time_key_].window;
    return window ? t + window->size_us : t;
  }

  // Whether the event time is a session's (its end), not a window's or a plain key's.
  bool session_time() const { return event_time_key_ && keys_[*event_time_key_].session; }

  bool closed(uint32_t g, int64_t watermark) const {
    if (!event_time_key_ || watermark == kNoWatermark) return false;
    if (session_time()) return sessions_->end(g) <= watermark;
    const Column& key = *table_.key_columns()[column_of(*event_time_key_)];
    return key.is_valid(g) && event_time(key, g) <= watermark;  // a null time is never closed (null <= x is null)
  }

  // Removes from rows_[0..m) the rows at or before the late-row watermark.
  size_t drop_late(const BatchContext& ctx, const std::vector<const Column*>& keys, size_t m) {
    if (!evicts() || ctx.late_watermark_us == kNoWatermark) return m;
    const Column& key = *keys[column_of(*event_time_key_)];
    size_t kept = 0;
    late_rows_.clear();
    for (size_t i = 0; i < m; ++i) {
      uint32_t row = rows_[i];
      rows_[kept] = row;
      // A session row is late when its session [ts, ts + gap) ended (Spark compares the session's end).
      const int64_t time = session_time() ? row_ends_[row] : event_time(key, row);
      bool late = !key.is_null(row) && time <= ctx.late_watermark_us;
      if (late) late_rows_.push_back(row);
      kept += !late;
    }
    if (!late_rows_.empty()) {
      // Spark drops partially aggregated rows, one per late group of the batch: count those.
      late_groups_.resize(late_rows_.size());
      late_table_.find_or_insert(keys, late_rows_.data(), late_rows_.size(), late_groups_.data());
    }
    return kept;
  }

  void evict(int64_t watermark) {
    std::vector<uint8_t> keep(table_.size());
    for (uint32_t g = 0; g < table_.size(); ++g) keep[g] = !closed(g, watermark);
    compact_groups(keep);
  }

  void expire_untouched(int64_t now_ms) {
    std::vector<uint8_t> keep(table_.size(), 1);
    progress_.rows_removed_by_ttl = table_.expire(keep, now_ms);
    if (*progress_.rows_removed_by_ttl) compact_groups(keep);
  }

  // Keeps the groups whose keep[g] is set, in every per-group structure.
  void compact_groups(const std::vector<uint8_t>& keep) { compact_values(table_.compact(keep)); }

  // The per-group values after the table kept the groups `kept` (old ids).
  void compact_values(const std::vector<uint32_t>& kept) {
    if (kept.size() == updated_.size()) return;
    for (auto& a : aggregates_) a.acc->compact(kept);
    for (size_t i = 0; i < kept.size(); ++i) updated_[i] = updated_[kept[i]];
    updated_.resize(kept.size());
    if (sessions_) sessions_->compact(table_, kept);
  }

  // Merges the states of the sessions a push joined (before its rows fold in).
  void merge_sessions() {
    const auto& dst = sessions_->merge_targets();
    if (dst.empty()) return;
    for (auto& a : aggregates_) a.acc->merge(dst.data(), sessions_->merge_sources().data(), dst.size());
  }

  // Drops the sessions merged into others during the micro-batch.
  void drop_merged_sessions() {
    std::vector<uint8_t> keep(table_.size());
    for (uint32_t g = 0; g < table_.size(); ++g) keep[g] = !sessions_->dead(g);
    compact_groups(keep);
  }

  void grow_groups() {
    for (auto& a : aggregates_) a.acc->resize(table_.size());
    updated_.resize(table_.size(), 0);
  }

  // Emits the groups in chunks: their slots (keys, then aggregate results),
  // then the keys and the aggregates: entries evaluated over the slots.
  void emit_groups(const std::vector<uint32_t>& groups, const expr::EvalContext& eval, const Emit& out) const {
    const size_t chunk = batch_rows();
    for (size_t first = 0; first < groups.size(); first += chunk) {
      const size_t n = std::min(chunk, groups.size() - first);
      const uint32_t* ids = groups.data() + first;
      Batch slots{slot_schema_, {}, n, nullptr};
      for (size_t k = 0; k < keys_.size(); ++k) {
        ColumnRef key = table_.key_columns()[column_of(k)]->gather(ids, n);
        if (keys_[k].window) key = window_column(*key, keys_[k].window->size_us);
        else if (keys_[k].session) key = sessions_->column(window_type(), *key, ids, n);
        slots.columns.push_back(key);
      }
      for (auto& a : aggregates_) slots.columns.push_back(a.acc->result(ids, n));
      Batch b{schema_, {}, n, nullptr};
      b.columns.assign(slots.columns.begin(), slots.columns.begin() + static_cast<ptrdiff_t>(keys_.size()));
      for (auto& o : outputs_) b.columns.push_back(o.expr->evaluate(slots, eval));
      out(b);
    }
  }

  static ColumnRef window_column(const Column& starts, int64_t size_us) {
    auto w = Column::make(window_type(), starts.size());
    w->resize(starts.size());
    for (size_t i = 0; i < starts.size(); ++i) {
      w->children()[0]->data<int64_t>()[i] = starts.data<int64_t>()[i];
      w->children()[1]->data<int64_t>()[i] = starts.data<int64_t>()[i] + size_us;
    }
    return w;
  }

  size_t memory_bytes() const {
    size_t bytes = table_.memory_bytes() + updated_.capacity();
    for (auto& a : aggregates_) bytes += a.acc->memory_bytes();
    if (sessions_) bytes += sessions_->memory_bytes();
    return bytes;
  }

  std::vector<KeySpec> keys_;
  std::vector<AggregateSpec> aggregates_;  // one accumulator per distinct aggregate call
  std::vector<OutputSpec> outputs_;
  SchemaRef slot_schema_;
  std::optional<size_t> event_time_key_;  // index into keys_
  std::string event_time_column_;
  GroupTable table_;
  SchemaRef schema_;
  std::vector<size_t> inputs_;
  std::optional<OutputMode> mode_;
  std::vector<uint8_t> updated_;  // per group: changed in this micro-batch
  std::vector<uint32_t> rows_, groups_;  // scratch for push
  std::optional<SessionWindows> sessions_;  // with a session_window key
  std::vector<int64_t> row_ends_;  // scratch for push: each row's session end
  GroupTable late_table_;  // the groups of this batch's late rows
  std::vector<uint32_t> late_rows_, late_groups_;  // scratch for drop_late
  int64_t eviction_watermark_ = kNoWatermark;
  size_t state_memory_ = 0;                   // 0: no limit
  const StateStore* spill_store_ = nullptr;   // where spilled groups are, once spilled
  int64_t spilled_min_time_ = kEndOfTime;     // the earliest event time among them
  StateOperatorProgress progress_{"stateStoreSave"};
};

// --- planning ---

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

expr::AstPtr parse_item(const config::Node& node) {
  try {
    return expr::parse(node.str());
  } catch (const expr::ExprError& e) {
    node.fail(e.what());
  }
}

std::unique_ptr<expr::Expression> bind_item(const expr::AstPtr& ast, const Schema& input, const config::Node& node) {
  try {
    return expr::bind(ast, input);
  } catch (const expr::ExprError& e) {
    node.fail(e.what());
  }
}

int64_t duration_arg(const expr::Ast& a, const config::Node& node, const std::string& function = "window") {
  if (a.kind == expr::AstKind::Interval) return a.interval_us;
  if (a.kind == expr::AstKind::Literal && a.literal.type.id == TypeId::String) {
    int64_t us = config::parse_duration_us(a.literal.s);
    if (us >= 0) return us;
    node.fail(function + "(): invalid duration '" + a.literal.s + "' (expected e.g. '10 minutes')");
  }
  node.fail(function + "(): durations must be string literals such as '10 minutes' or INTERVAL 10 MINUTES");
}

KeySpec plan_window(const expr::Ast& call, const Schema& input, const config::Node& node) {
  if (call.children.size() < 2 || call.children.size() > 4)
    node.fail("window() takes 2 to 4 arguments: window(time, size[, slide[, start]])");
  KeySpec key;
  key.expr = bind_item(call.children[0], input, node);
  if (key.expr->type().id != TypeId::Timestamp)
    node.fail("data type mismatch: the time column of window() must be a timestamp, but '" +
              expr::display_name(*call.children[0], &input) + "' is " + key.expr->type().to_string());
  WindowSpec w;
  w.size_us = duration_arg(*call.children[1], node);
  w.slide_us = call.children.size() > 2 ? duration_arg(*call.children[2], node) : w.size_us;
  w.start_us = call.children.size() > 3 ? duration_arg(*call.children[3], node) : 0;
  try {
    w.validate();
  } catch (const Error& e) {
    node.fail(e.what());
  }
  std::string name = call.alias.empty() ? "window" : call.alias;
  key.text = w.describe(expr::display_name(*call.children[0], &input)) + " AS " + name;
  key.window = w;
  key.name = name;
  return key;
}

// session_window(time, gap): a literal gap (a duration string or INTERVAL), or
// an expression giving each row's gap as a duration string (Spark's dynamic gap).
KeySpec plan_session_window(const expr::Ast& call, const Schema& input, const config::Node& node) {
  if (call.children.size() != 2) node.fail("session_window() takes 2 arguments: session_window(time, gap)");
  KeySpec key;
  key.expr = bind_item(call.children[0], input, node);
  if (key.expr->type().id != TypeId::Timestamp)
    node.fail("data type mismatch: the time column of session_window() must be a timestamp, but '" +
              expr::display_name(*call.children[0], &input) + "' is " + key.expr->type().to_string());
  const expr::Ast& gap = *call.children[1];
  SessionSpec session;
  if (gap.kind == expr::AstKind::Interval || (gap.kind == expr::AstKind::Literal && gap.literal.type.id == TypeId::String)) {
    session.gap_us = duration_arg(gap, node, "session_window");
    if (session.gap_us <= 0 || session.gap_us > kMaxWindowedTimestamp)
      node.fail("session_window(): the gap duration must be greater than 0 (Spark would drop every row)");
    session.gap_text = gap.kind == expr::AstKind::Literal ? gap.literal.s : expr::display_name(gap, &input);
  } else {
    key.gap = bind_item(call.children[1], input, node);
    if (key.gap->type().id != TypeId::String)
      node.fail("Gap duration expression used in session window must be CalendarIntervalType, but got " +
                key.gap->type().to_string());
    session.gap_text = expr::display_name(gap, &input);
  }
  key.name = call.alias.empty() ? "session_window" : call.alias;
  key.text = session.describe(expr::display_name(*call.children[0], &input)) + " AS " + key.name;
  key.session = session;
  return key;
}

KeySpec plan_key(const config::Node& node, const Schema& input) {
  expr::AstPtr ast = parse_item(node);
  if (ast->kind == expr::AstKind::Call && lower(ast->name) == "window") return plan_window(*ast, input, node);
  if (ast->kind == expr::AstKind::Call && lower(ast->name) == "session_window")
    return plan_session_window(*ast, input, node);
  KeySpec key;
  key.expr = bind_item(ast, input, node);
  TypeId type = key.expr->type().id;
  if (type == TypeId::Struct || type == TypeId::Array || type == TypeId::Null)
    node.fail("grouping by a key of type " + key.expr->type().to_string() + " is not supported yet");
  key.name = key.expr->name();
  key.text = node.str();
  key.display = expr::display_name(*ast, &input);
  return key;
}

// --- the aggregates: list ---
//
// Each entry is an expression over aggregate calls and grouping keys
// ("sum(x) / count(*) AS ratio", "round(avg(x), 2)", "key || '!'"). Its
// aggregate calls become hidden accumulators (one per distinct call); the
// entry itself is bound against the slots — the keys, then those
// accumulators' results — and evaluated column-at-a-time when groups are
// emitted. A plain call or key is a bare slot reference, shared, not copied.

// A slot of the emitted groups: a key, or a hidden aggregate's result.
class SlotExpression final : public expr::Expression {
 public:
  SlotExpression(size_t slot, DataType type, std::string name) {
    type_ = std::move(type);
    name_ = std::move(name);
    column_index_ = slot;
    inputs_ = {slot};
  }
  ColumnRef evaluate(const Batch& batch, const expr::EvalContext&) const override { return batch.columns[*column_index_]; }
};

bool is_percentile_approx(const std::string& name) { return name == "percentile_approx" || name == "approx_percentile"; }

// The call as Spark names its column: percentile_approx shows its default
// accuracy, approx_count_distinct hides its rsd (not a child in Spark).
expr::AstPtr with_spark_arguments(const expr::AstPtr& ast) {
  auto copy = std::make_shared<expr::Ast>(*ast);
  for (auto& child : copy->children) child = with_spark_arguments(child);
  if (copy->kind == expr::AstKind::Call) {
    const std::string name = lower(copy->name);
    if (is_percentile_approx(name) && copy->children.size() == 2) {
      auto accuracy = std::make_shared<expr::Ast>();
      accuracy->literal.type = DataType::of(TypeId::Int);
      accuracy->literal.i = kDefaultPercentileAccuracy;
      copy->children.push_back(accuracy);
    } else if (name == "approx_count_distinct" && copy->children.size() == 2) {
      copy->children.pop_back();
    }
  }
  return copy;
}

// A constant argument of an aggregate (rsd, percentage, accuracy), or a config error.
fn::Literal constant_arg(const expr::AstPtr& ast, const Schema& input, const config::Node& node, const std::string& what) {
  std::unique_ptr<expr::Expression> e = bind_item(ast, input, node);
  if (!e->inputs().empty()) node.fail(what + " must be a constant literal, but '" + expr::display_name(*ast, &input) + "' is not");
  ColumnRef value = e->evaluate(Batch{nullptr, {}, 1, nullptr}, expr::EvalContext{});
  fn::Literal lit;
  lit.type = value->type();
  lit.is_null = value->is_null(0);
  switch (value->id()) {
    case TypeId::Int: lit.i = value->data<int32_t>()[0]; break;
    case TypeId::Long: lit.i = value->data<int64_t>()[0]; break;
    case TypeId::Float: lit.d = value->data<float>()[0]; break;
    case TypeId::Double: lit.d = value->data<double>()[0]; break;
    default: node.fail(what + " must be a numeric literal, but '" + expr::display_name(*ast, &input) + "' is " + value->type().to_string());
  }
  if (lit.is_null) node.fail(what + " must not be null");
  return lit;
}

double as_double(const fn::Literal& lit) {
  return lit.type.id == TypeId::Int || lit.type.id == TypeId::Long ? static_cast<double>(lit.i) : lit.d;
}

std::unique_ptr<Accumulator> plan_approx_count_distinct(const expr::Ast& call, const DataType& input_type,
                                                        const Schema& input, const config::Node& node) {
  double rsd = hll::kDefaultRelativeSd;
  if (call.children.size() == 2) {
    fn::Literal lit = constant_arg(call.children[1], input, node, "approx_count_distinct()'s relative standard deviation");
    if (lit.type.id != TypeId::Double && lit.type.id != TypeId::Float)
      node.fail("approx_count_distinct(): The second argument should be a double literal.");
    rsd = lit.d;
  }
  std::string error;
  const int p = hll::precision_for(rsd, error);
  if (!p) node.fail("approx_count_distinct(): " + error);
  return make_approx_count_distinct(input_type, p);
}

std::unique_ptr<Accumulator> plan_percentile_approx(const expr::Ast& call, const DataType& input_type,
                                                    const Schema& input, const config::Node& node) {
  const expr::Ast& p = *call.children[1];
  const bool as_array = p.kind == expr::AstKind::Call && lower(p.name) == "array";
  std::vector<double> percentages;
  for (const expr::AstPtr& item : as_array ? p.children : std::vector<expr::AstPtr>{call.children[1]}) {
    const double v = as_double(constant_arg(item, input, node, "percentile_approx()'s percentage"));
    if (!(v >= 0.0 && v <= 1.0))
      node.fail("percentile_approx(): All percentage values must be between 0.0 and 1.0 (current = " +
                expr::display_name(*item, &input) + ")");
    percentages.push_back(v);
  }
  if (percentages.empty()) node.fail("percentile_approx(): the percentage array must not be empty");
  int64_t accuracy = kDefaultPercentileAccuracy;
  if (call.children.size() == 3) {
    fn::Literal lit = constant_arg(call.children[2], input, node, "percentile_approx()'s accuracy");
    if (lit.type.id != TypeId::Int && lit.type.id != TypeId::Long)
      node.fail("percentile_approx(): the accuracy must be an integer literal");
    if (lit.i <= 0 || lit.i > INT32_MAX)
      node.fail("percentile_approx(): The accuracy provided must be a literal between (0, 2147483647] (current value = " +
                std::to_string(lit.i) + ")");
    accuracy = lit.i;
  }
  return make_percentile_approx(input_type, std::move(percentages), as_array, accuracy);
}

// How many arguments a kind takes: {least, most}.
std::pair<size_t, size_t> arity(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::MinBy:
    case AggregateKind::MaxBy: return {2, 2};
    case AggregateKind::ApproxCountDistinct: return {1, 2};
    case AggregateKind::PercentileApprox: return {2, 3};
    default: return {1, 1};
  }
}

std::string arity_text(const std::string& name, std::pair<size_t, size_t> counts) {
  static const char* const kWords[] = {"zero", "one", "two", "three"};
  if (counts.first == counts.second)
    return name + "() takes exactly " + kWords[counts.first] + (counts.first == 1 ? " argument" : " arguments");
  return name + "() takes " + kWords[counts.first] + " or " + kWords[counts.second] + " arguments";
}

// Binds an aggregate's argument; an aggregate inside it is Spark's error.
std::unique_ptr<expr::Expression> bind_argument(const expr::AstPtr& ast, const Schema& input, const config::Node& node) {
  expr::BindOptions options;
  options.resolve_call = [&](const expr::Ast& call, const Schema&) -> std::unique_ptr<expr::Expression> {
    if (aggregate_kind(lower(call.name)))
      node.fail("It is not allowed to use an aggregate function in the argument of another aggregate function. "
                "Please use the inner aggregate function in a sub-query.");
    return nullptr;
  };
  try {
    return expr::bind(ast, input, options);
  } catch (const expr::ExprError& e) {
    node.fail(e.what());
  }
}

AggregateSpec plan_aggregate_call(const expr::Ast& call, AggregateKind kind, const Schema& input,
                                  const config::Node& node) {
  const std::string name = lower(call.name);
  if (call.distinct)  // Spark's UnsupportedOperationChecker rule, in its words
    node.fail(name + "(DISTINCT ...): Distinct aggregations are not supported on streaming DataFrames/Datasets. "
              "Consider using approx_count_distinct() instead.");
  AggregateSpec spec;
  spec.kind = kind;
  spec.name = expr::display_name(*with_spark_arguments(std::make_shared<expr::Ast>(call)), &input);
  const auto counts = arity(kind);
  if (call.star) {
    if (kind != AggregateKind::Count) node.fail("'*' is only allowed in count(*)");
    spec.kind = AggregateKind::CountStar;
    spec.acc = make_accumulator(spec.kind, DataType::of(TypeId::Long));
    return spec;
  }
  if (call.children.size() < counts.first || call.children.size() > counts.second) node.fail(arity_text(name, counts));
  spec.arg = bind_argument(call.children[0], input, node);
  const DataType& type = spec.arg->type();
  switch (kind) {
    case AggregateKind::MinBy:
    case AggregateKind::MaxBy:
      spec.ordering = bind_argument(call.children[1], input, node);
      spec.acc = make_accumulator_by(kind, type, spec.ordering->type());
      break;
    case AggregateKind::ApproxCountDistinct: spec.acc = plan_approx_count_distinct(call, type, input, node); break;
    case AggregateKind::PercentileApprox: spec.acc = plan_percentile_approx(call, type, input, node); break;
    default: spec.acc = make_accumulator(kind, type); break;
  }
  if (!spec.acc) {
    std::string args = "'" + expr::display_name(*call.children[0], &input) + "' of type " + type.to_string();
    if (spec.ordering)
      args += " ordered by '" + expr::display_name(*call.children[1], &input) + "' of type " +
              spec.ordering->type().to_string();
    node.fail("data type mismatch: " + name + "() does not accept " + args);
  }
  return spec;
}

constexpr const char* kSupportedAggregates =
    "count, sum, avg/mean, min, max, min_by, max_by, first, last, stddev/std/stddev_samp, stddev_pop, "
    "variance/var_samp, var_pop, collect_list, approx_count_distinct, percentile_approx, median";

bool handled_by_binder(const std::string& name) {
  return fn::find_scalar_function(name) || name == "explode" || name == "current_timestamp" || name == "now" ||
         name == "current_date" || name == "window" || name == "session_window" || name == "window_time";
}

// Plans the aggregates: list: the hidden accumulators it needs and one
// output expression per entry, bound against the slots (keys, then accumulators).
class AggregatesPlanner {
 public:
  AggregatesPlanner(const Schema& input, const std::vector<KeySpec>& keys) : input_(input), keys_(keys) {
    std::vector<Field> fields;
    for (auto& k : keys_) fields.push_back({k.name, k.window ? window_type() : k.expr->type()});
    key_schema_ = Schema{std::move(fields)};
  }

  OutputSpec plan(const config::Node& node) {
    expr::AstPtr ast = parse_item(node);
    check_grouped_columns(ast, node);
    expr::BindOptions options;
    options.resolve_call = [&](const expr::Ast& call, const Schema&) { return resolve(call, node); };
    OutputSpec out;
    try {
      out.expr = expr::bind(ast, key_schema_, options);
    } catch (const expr::ExprError& e) {
      node.fail(e.what());
    }
    out.name = !ast->alias.empty()                    ? ast->alias
               : ast->kind == expr::AstKind::Column ? out.expr->name()
                                                      : expr::display_name(*with_spark_arguments(ast), &input_);
    out.text = node.str();
    return out;
  }

  std::vector<AggregateSpec> take_aggregates() { return std::move(aggregates_); }

 private:
  std::unique_ptr<expr::Expression> resolve(const expr::Ast& call, const config::Node& node) {
    const std::string name = lower(call.name);
    if (std::optional<AggregateKind> kind = aggregate_kind(name)) return slot_of_aggregate(call, *kind, node);
    if (std::optional<size_t> k = key_of(call))  // an expression of the group by, e.g. lower(word)
      return std::make_unique<SlotExpression>(*k, keys_[*k].expr->type(), keys_[*k].name);
    if (!handled_by_binder(name))
      node.fail("aggregate function '" + name + "' is not supported yet (supported: " + kSupportedAggregates + ")");
    return nullptr;
  }

  std::unique_ptr<expr::Expression> slot_of_aggregate(const expr::Ast& call, AggregateKind kind,
                                                      const config::Node& node) {
    // One accumulator per call as written with all its arguments (Spark's
    // name hides approx_count_distinct's rsd, so it cannot tell calls apart).
    const std::string call_text = expr::display_name(call, &input_);
    const size_t index = std::find(calls_.begin(), calls_.end(), call_text) - calls_.begin();
    if (index == calls_.size()) {
      aggregates_.push_back(plan_aggregate_call(call, kind, input_, node));
      calls_.push_back(call_text);
    }
    const AggregateSpec& a = aggregates_[index];
    return std::make_unique<SlotExpression>(keys_.size() + index, a.acc->result_type(), a.name);
  }

  // A column outside every aggregate call must be a grouping key (Spark's rule, in its words).
  void check_grouped_columns(const expr::AstPtr& ast, const config::Node& node) const {
    if (ast->kind == expr::AstKind::Call && (!handled_by_binder(lower(ast->name)) || key_of(*ast)))
      return;  // an aggregate (or an unsupported one, reported as such) or a grouping key
    if (ast->kind == expr::AstKind::Column) {
      try {
        expr::bind(ast, key_schema_);
      } catch (const expr::ExprError&) {
        bind_item(ast, input_, node);  // an unknown column is reported as such
        node.fail("expression '" + expr::display_name(*ast, &input_) +
                  "' is neither present in the group by, nor is it an aggregate function. Add to group by or "
                  "wrap in first() (or first_value) if you don't care which value you get.");
      }
      return;
    }
    for (const expr::AstPtr& child : ast->children) check_grouped_columns(child, node);
  }

  // The grouping key that `call` repeats, if any.
  std::optional<size_t> key_of(const expr::Ast& call) const {
    const std::string text = expr::display_name(call, &input_);
    for (size_t k = 0; k < keys_.size(); ++k)
      if (!keys_[k].window && keys_[k].display == text) return k;
    return std::nullopt;
  }

  const Schema& input_;
  const std::vector<KeySpec>& keys_;
  Schema key_schema_;
  std::vector<AggregateSpec> aggregates_;
  std::vector<std::string> calls_;  // per aggregate: the call as written
};

// Whether `ast` reads the event time `column`: the column itself, or, when
// it is a window struct (an upstream windowed aggregation's output),
// window_time(column), which Spark marks as event time too.
bool is_event_time(const expr::Ast& ast, const std::string& column, const Schema& input) {
  auto names_column = [&](const expr::Ast& a) {
    if (a.kind != expr::AstKind::Column || a.parts.size() != 1) return false;
    std::optional<size_t> index = input.find(a.parts[0]);
    return index && index == input.find(column);
  };
  if (names_column(ast)) return true;
  return ast.kind == expr::AstKind::Call && lower(ast.name) == "window_time" && ast.children.size() == 1 &&
         names_column(*ast.children[0]);
}

// The key that carries the watermarked event time: a (session) window over it, or the time itself.
std::optional<size_t> find_event_time_key(const std::vector<config::Node>& items, const Schema& input,
                                          const std::string& column) {
  if (column.empty()) return std::nullopt;
  for (size_t i = 0; i < items.size(); ++i) {
    expr::AstPtr ast = parse_item(items[i]);
    const bool window = ast->kind == expr::AstKind::Call && !ast->children.empty() &&
                        (lower(ast->name) == "window" || lower(ast->name) == "session_window");
    if (is_event_time(window ? *ast->children[0] : *ast, column, input)) return i;
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<Operator> plan_aggregate(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (!value.is_map()) value.fail("expected a map {group_by: [expr], aggregates: [expr]}");
  value.check_keys({"group_by", "aggregates"});
  std::vector<KeySpec> keys;
  std::vector<config::Node> key_items;
  bool has_window = false, has_session = false;
  if (value["group_by"].defined()) {
    config::Node list = value["group_by"];
    key_items = list.is_seq() ? list.items() : std::vector<config::Node>{list};
    for (const config::Node& item : key_items) {
      keys.push_back(plan_key(item, *ctx.input));
      const bool timed = keys.back().window || keys.back().session;
      if (timed && has_window)  // Spark's words
        item.fail("Multiple time/session window expressions would result in a cartesian product of rows, "
                  "therefore they are currently not supported.");
      has_window |= timed;
      has_session |= keys.back().session.has_value();
    }
    if (has_session && keys.size() == 1)
      list.fail("Global aggregation with session window in streaming query is not supported.");
  }
  AggregatesPlanner planner(*ctx.input, keys);
  std::vector<OutputSpec> outputs;
  config::Node list = value.required("aggregates");
  for (const config::Node& item : list.is_seq() ? list.items() : std::vector<config::Node>{list})
    outputs.push_back(planner.plan(item));
  if (outputs.empty()) list.fail("at least one aggregate is needed (e.g. 'count(*) AS n')");
  std::vector<AggregateSpec> aggregates = planner.take_aggregates();
  if (has_session)
    for (auto& a : aggregates)
      if (!a.acc->can_merge()) list.fail("'" + a.name + "': this aggregate is not supported with session_window() yet");
  auto event_time_key = find_event_time_key(key_items, *ctx.input, ctx.event_time_column);
  // Spark marks the time key (a window column) of the output as its event time.
  ctx.output_event_time = event_time_key ? keys[*event_time_key].name : "";
  return std::make_unique<AggregateOperator>(std::move(keys), std::move(aggregates), std::move(outputs),
                                             event_time_key, ctx.event_time_column);
}

}  // namespace
