// Deduplicate (`deduplicate: {columns, within_watermark}`, Spark's
// dropDuplicates / dropDuplicatesWithinWatermark) as a streaming stateful
// operator (Spark's StreamingDeduplicateExec and
// StreamingDeduplicateWithinWatermarkExec).
//
// push(): drops the rows at or before the previous batch's watermark as
// late, then finds or inserts the key columns' rows in a GroupTable
// column-at-a-time. The table numbers new groups densely in row order, so a
// row is the first of its key exactly when its group id is the next new id:
// those rows pass through under a selection vector, nothing is copied.
// end_batch() evicts by the current watermark:
//   dropDuplicates                 keys whose event-time key column is at or
//                                  before it (none without that column among
//                                  the keys: state grows, as Spark's)
//   dropDuplicatesWithinWatermark  keys whose first row's event time + the
//                                  watermark delay is at or before it
// The output mode does not change the output (rows pass through as they come).
#include <algorithm>
#include <numeric>
#include <utility>

#include "base/error.hpp"
#include "plan/steps.hpp"
#include "state/codec.hpp"
#include "state/group_table.hpp"
#include "state/state_store.hpp"

namespace runnel {

namespace {

struct DedupSpec {
  std::vector<size_t> keys;            // input column indices
  std::optional<size_t> event_time;    // input column index of the watermarked column
  std::optional<size_t> event_time_key;  // index into the key columns (a struct key counts one per field)
  bool within_watermark = false;
  int64_t delay_us = 0;                // the watermark delay (within_watermark only)
};

class DedupOperator final : public Operator {
 public:
  DedupOperator(SchemaRef schema, DedupSpec spec)
      : schema_(std::move(schema)), spec_(std::move(spec)), table_(key_types()) {
    progress_.operator_name = spec_.within_watermark ? "dedupeWithinWatermark" : "dedupe";  // Spark's shortName
  }

  SchemaRef output_schema() const override { return schema_; }
  bool stateful() const override { return true; }

  std::string set_output_mode(OutputMode mode) override {
    if (mode == OutputMode::Complete)
      return "Complete output mode not supported when there are no streaming aggregations on streaming "
             "DataFrames/Datasets";
    return "";
  }

  std::string set_state_ttl(int64_t ttl_ms) override {
    table_.set_ttl(ttl_ms);
    return "";
  }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    table_.set_now(ctx.eval.batch_timestamp_us / 1000);
    size_t n = visible_rows(batch);
    n = drop_late(ctx, batch, n);
    if (n == 0) return;
    std::vector<const Column*> keys;
    for (size_t k : spec_.keys) add_key_columns(*batch.columns[k], keys);
    groups_.resize(n);
    const uint32_t first_new = static_cast<uint32_t>(table_.size());
    table_.find_or_insert(keys, rows_.data(), n, groups_.data());
    if (spec_.within_watermark) expires_at_.resize(table_.size());
    // New to the table, but a spilled key of the store: seen in an earlier batch.
    seen_before_.assign(table_.size() - first_new, 0);
    if (table_.spilled())
      reload_new_groups(table_, *spill_store_, first_new, [&](uint32_t g, std::string_view& value) {
        seen_before_[g - first_new] = 1;
        decode_group(g, value);
      });
    auto sel = std::make_shared<std::vector<uint32_t>>(n);
    new_groups_.clear();
    uint32_t next_new = first_new;
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      if (groups_[i] != next_new) continue;  // new groups are numbered in row order: this is its first row
      if (!seen_before_[next_new - first_new]) {
        (*sel)[kept++] = rows_[i];
        new_groups_.push_back(next_new);
      }
      ++next_new;
    }
    if (kept == 0) return;
    sel->resize(kept);
    if (spec_.within_watermark) record_expiry(batch, *sel);
    rows_updated_ += kept;
    Batch result{batch.schema, batch.columns, batch.num_rows, std::move(sel)};
    out(result);
  }

  void end_batch(const BatchContext& ctx, const Emit&) override {
    if (table_.has_ttl()) expire_untouched(ctx.eval.batch_timestamp_us / 1000);
    if (evicts() && ctx.watermark_us != kNoWatermark) {
      if (table_.spilled() && spilled_min_time_ <= ctx.watermark_us) reload_evictable(ctx.watermark_us);
      evict(ctx.watermark_us);
    }
    eviction_watermark_ = ctx.watermark_us;
    progress_.rows_total = table_.size() + table_.spilled();
    progress_.rows_updated = std::exchange(rows_updated_, 0);
    progress_.rows_dropped_by_watermark = std::exchange(rows_late_, 0);
    progress_.memory_used_bytes = memory_bytes();
  }

  // Spark runs a no-data batch whenever the watermark moves, with or without state to evict.
  bool needs_batch(int64_t next_watermark_us) const override {
    return spec_.event_time && next_watermark_us != kNoWatermark && next_watermark_us > eviction_watermark_;
  }

  std::optional<StateOperatorProgress> state_progress() const override { return progress_; }

  // One entry per key: the encoded key, and (within the watermark) its expiry.
  void save_state(StateStore& store) const override {
    save_groups(table_, store, [&](uint32_t g, std::string& value) {
      if (spec_.within_watermark) codec::put(value, expires_at_[g]);
    });
  }

  void load_state(const StateStore& store) override {
    if (!spills()) return load_groups(table_, store, [&](uint32_t g, std::string_view& v) { decode_group(g, v); });
    spill_store_ = &store;  // nothing loaded: rows and the watermark bring keys back as they need them
    reload_spilled(table_, store, [&](const std::vector<const Column*>& keys, size_t row, std::string_view value) {
      spilled_min_time_ = std::min(spilled_min_time_, stored_eviction_time(keys, row, value));
      return false;
    }, [&](uint32_t g, std::string_view& v) { decode_group(g, v); });
  }

  void set_state_memory(size_t budget_bytes) override {
    state_memory_ = budget_bytes;
    table_.track_recency();
  }

  // Keeps the most recently seen keys; the rest stay in the store only.
  void spill(const StateStore& store) override {
    if (!spills() || table_.size() == 0 || memory_bytes() <= state_memory_) return;
    spill_store_ = &store;
    std::vector<uint8_t> keep = table_.most_recent_within(state_memory_, memory_bytes());
    for (uint32_t g = 0; g < table_.size(); ++g)
      if (!keep[g]) spilled_min_time_ = std::min(spilled_min_time_, eviction_time(g));
    compact_values(table_.spill(keep, store));
  }

  std::string explain() const override {
    std::string s = spec_.within_watermark ? "StreamingDeduplicateWithinWatermark [keys: " : "StreamingDeduplicate [keys: ";
    for (size_t i = 0; i < spec_.keys.size(); ++i) s += (i ? ", " : "") + (*schema_)[spec_.keys[i]].name;
    s += "] [event time: " + (spec_.event_time ? (*schema_)[*spec_.event_time].name : std::string("none")) + "]";
    return s;
  }

 private:
  // A struct key (a window) is compared field by field: GroupTable holds flat values.
  static void add_key_columns(const Column& column, std::vector<const Column*>& keys) {
    if (column.id() != TypeId::Struct) return keys.push_back(&column);
    for (auto& field : column.children()) keys.push_back(field.get());
  }

  std::vector<DataType> key_types() const {
    std::vector<DataType> types;
    for (size_t k : spec_.keys) {
      const DataType& type = (*schema_)[k].type;
      if (type.id != TypeId::Struct) types.push_back(type);
      for (auto& field : type.fields) types.push_back(field.type);
    }
    return types;
  }

  // The event time of a row: the column, or a window's end (Spark's rule for a struct event time).
  const Column& event_times(const Batch& batch) const {
    const Column& time = *batch.columns[*spec_.event_time];
    return time.id() == TypeId::Struct ? *time.children()[1] : time;
  }

  bool evicts() const { return spec_.within_watermark || spec_.event_time_key; }
  bool spills() const { return state_memory_ > 0; }

  size_t memory_bytes() const { return table_.memory_bytes() + expires_at_.capacity() * sizeof(int64_t); }

  // A stored value (save_state's layout) into group g.
  void decode_group(uint32_t g, std::string_view& value) {
    if (!spec_.within_watermark) return;
    expires_at_.resize(table_.size());
    expires_at_[g] = codec::get<int64_t>(value);
  }

  // When the watermark evicts a key (at or before it): its expiry, or its
  // event-time key column; never for a null time, nor without evictions.
  int64_t eviction_time(uint32_t g) const {
    if (spec_.within_watermark) return expires_at_[g];
    return key_time(*table_.key_columns()[spec_.event_time_key.value_or(0)], g);
  }
  int64_t stored_eviction_time(const std::vector<const Column*>& keys, size_t row, std::string_view value) const {
    if (spec_.within_watermark) return codec::get<int64_t>(value);
    return key_time(*keys[spec_.event_time_key.value_or(0)], row);
  }
  int64_t key_time(const Column& time, size_t i) const {
    return !spec_.event_time_key || time.is_null(i) ? kEndOfTime : time.data<int64_t>()[i];
  }

  // Brings back the spilled keys the watermark evicts, so evict() drops them from the store too.
  void reload_evictable(int64_t watermark) {
    spilled_min_time_ = kEndOfTime;
    reload_spilled(table_, *spill_store_, [&](const std::vector<const Column*>& keys, size_t row, std::string_view value) {
      const int64_t t = stored_eviction_time(keys, row, value);
      if (t <= watermark) return true;
      spilled_min_time_ = std::min(spilled_min_time_, t);
      return false;
    }, [&](uint32_t g, std::string_view& v) { decode_group(g, v); });
  }

  // rows_[0..n) = the physical rows of the batch's visible rows.
  size_t visible_rows(const Batch& batch) {
    const size_t n = batch.size();
    rows_.resize(n);
    if (batch.sel) std::copy(batch.sel->begin(), batch.sel->end(), rows_.begin());
    else std::iota(rows_.begin(), rows_.end(), 0u);
    return n;
  }

  // Removes from rows_[0..n) the rows whose event time is at or before the
  // previous batch's watermark (a null event time is never late), counting them.
  size_t drop_late(const BatchContext& ctx, const Batch& batch, size_t n) {
    if (!spec_.event_time || ctx.late_watermark_us == kNoWatermark) return n;
    const Column& time = event_times(batch);
    const int64_t* micros = time.data<int64_t>();
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t row = rows_[i];
      rows_[kept] = row;
      kept += time.is_null(row) || micros[row] > ctx.late_watermark_us;
    }
    rows_late_ += n - kept;
    return kept;
  }

  // The new keys' expiry: their first row's event time + the delay. Spark
  // reads a null event time as 0 (the epoch), so such a key expires at the delay.
  void record_expiry(const Batch& batch, const std::vector<uint32_t>& first_rows) {
    const Column& time = event_times(batch);
    const int64_t* micros = time.data<int64_t>();
    for (size_t i = 0; i < first_rows.size(); ++i) {
      uint32_t row = first_rows[i];
      expires_at_[new_groups_[i]] = (time.is_null(row) ? 0 : micros[row]) + spec_.delay_us;
    }
  }

  void evict(int64_t watermark) {
    std::vector<uint8_t> keep(table_.size());
    for (uint32_t g = 0; g < table_.size(); ++g) keep[g] = eviction_time(g) > watermark;
    compact_keys(keep);
  }

  void compact_keys(const std::vector<uint8_t>& keep) { compact_values(table_.compact(keep)); }
  void compact_values(const std::vector<uint32_t>& kept) {
    if (spec_.within_watermark) keep_only(expires_at_, kept);
  }

  void expire_untouched(int64_t now_ms) {
    if (table_.spilled())
      reload_expired(table_, *spill_store_, now_ms, [&](uint32_t g, std::string_view& v) { decode_group(g, v); });
    std::vector<uint8_t> keep(table_.size(), 1);
    progress_.rows_removed_by_ttl = table_.expire(keep, now_ms);
    if (*progress_.rows_removed_by_ttl) compact_keys(keep);
  }

  SchemaRef schema_;
  DedupSpec spec_;
  GroupTable table_;
  std::vector<int64_t> expires_at_;  // per group, within_watermark only
  std::vector<uint32_t> rows_, groups_, new_groups_;  // scratch for push
  std::vector<uint8_t> seen_before_;                   // scratch for push: per new group
  size_t state_memory_ = 0;                            // 0: no limit
  const StateStore* spill_store_ = nullptr;            // where spilled keys are, once spilled
  int64_t spilled_min_time_ = kEndOfTime;              // the earliest eviction time among them
  uint64_t rows_updated_ = 0, rows_late_ = 0;  // this micro-batch
  int64_t eviction_watermark_ = kNoWatermark;
  StateOperatorProgress progress_;
};

const config::TransformConfig* find_transform(const config::PipelineConfig& p, const std::string& name) {
  for (auto& t : p.transforms)
    if (t.name == name) return &t;
  return nullptr;
}

// The delay of the last watermark step among steps [first, before) of `t`,
// else upstream: through a union step into the stream it reads, then through
// `from`. nullopt when none.
std::optional<int64_t> find_watermark_delay_us(const config::PipelineConfig& p, const config::TransformConfig& t,
                                               const config::StepConfig* before) {
  for (const config::StepConfig* s = before; s-- != t.steps.data();) {
    if (s->kind == "watermark") return s->value["delay"].duration_us() / 1000 * 1000;  // Spark keeps milliseconds
    if (s->kind == "union" && s->value.is_map() && s->value["with"].defined())
      if (const config::TransformConfig* with = find_transform(p, s->value["with"].str()))
        if (auto delay = find_watermark_delay_us(p, *with, with->steps.data() + with->steps.size())) return delay;
  }
  const config::TransformConfig* from = find_transform(p, t.from);
  return from ? find_watermark_delay_us(p, *from, from->steps.data() + from->steps.size()) : std::nullopt;
}

// The delay of the watermark step that made the event time: the last such
// step before this one in its transform, else in the streams upstream.
int64_t watermark_delay_us(const StepContext& ctx) {
  for (auto& t : ctx.pipeline.transforms)
    for (auto& step : t.steps)
      if (&step == &ctx.step)
        if (auto delay = find_watermark_delay_us(ctx.pipeline, t, &step)) return *delay;
  fail(ErrorKind::Internal, "no watermark step for the event time column '" + ctx.event_time_column + "'");
}

std::vector<size_t> plan_key_columns(const config::Node& value, const Schema& input) {
  std::vector<size_t> keys;
  config::Node list = value.is_map() ? value["columns"] : config::Node{};
  if (!list.defined()) {  // dropDuplicates(): whole rows
    keys.resize(input.size());
    std::iota(keys.begin(), keys.end(), size_t{0});
    return keys;
  }
  for (const config::Node& item : list.is_seq() ? list.items() : std::vector<config::Node>{list}) {
    std::string name = item.str();
    std::optional<size_t> index = input.find(name);
    if (!index) item.fail("unknown column '" + name + "' (columns: " + input.to_string() + ")");
    if (std::find(keys.begin(), keys.end(), *index) == keys.end()) keys.push_back(*index);
  }
  if (keys.empty()) list.fail("at least one column is needed to deduplicate on (omit columns for whole rows)");
  return keys;
}

bool is_flat(const DataType& type) {
  return type.id != TypeId::Struct && type.id != TypeId::Array && type.id != TypeId::Null;
}

// GroupTable compares flat values only; a struct of flat fields (a window) is compared field by field.
void check_key_types(const std::vector<size_t>& keys, const Schema& input, const config::Node& value) {
  for (size_t k : keys) {
    const DataType& type = input[k].type;
    bool flat_struct = type.id == TypeId::Struct && !type.fields.empty() &&
                       std::all_of(type.fields.begin(), type.fields.end(), [](const Field& f) { return is_flat(f.type); });
    if (!is_flat(type) && !flat_struct)
      value.fail("deduplicating on column '" + input[k].name + "' of type " + type.to_string() +
                 " is not supported yet");
  }
}

}  // namespace

std::unique_ptr<Operator> plan_deduplicate(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (value.defined() && !value.is_map()) value.fail("expected a map {columns: [col], within_watermark: bool}");
  if (value.defined()) value.check_keys({"columns", "within_watermark"});
  DedupSpec spec;
  spec.keys = plan_key_columns(value, *ctx.input);
  check_key_types(spec.keys, *ctx.input, value);
  spec.within_watermark = value.defined() && value["within_watermark"].defined() && value["within_watermark"].boolean();
  if (!ctx.event_time_column.empty()) spec.event_time = ctx.input->find(ctx.event_time_column);
  if (spec.within_watermark && !spec.event_time)
    value.fail("dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets without watermark");
  if (spec.event_time) {  // its index among the key columns; a window's is its end's
    size_t column = 0;
    for (size_t k : spec.keys) {
      const DataType& type = (*ctx.input)[k].type;
      if (k == *spec.event_time) spec.event_time_key = column + (type.id == TypeId::Struct ? 1 : 0);
      column += type.id == TypeId::Struct ? type.fields.size() : 1;
    }
  }
  if (spec.within_watermark) spec.delay_us = watermark_delay_us(ctx);
  return std::make_unique<DedupOperator>(ctx.input, std::move(spec));
}

}  // namespace runnel
