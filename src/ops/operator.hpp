// Operator: one step of a transform. The executor pushes each batch of a
// micro-batch through push(); at the end of the micro-batch it calls
// end_batch() on every operator in topological order, which is where
// stateful operators (aggregation, dedup, joins) emit per output mode.
// Operators are single-threaded; push is called per batch, never per row.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "batch/batch.hpp"
#include "expr/expression.hpp"
#include "formats/format.hpp"

namespace runnel {

class StateStore;  // state/state_store.hpp

constexpr int64_t kNoWatermark = std::numeric_limits<int64_t>::min();
constexpr int64_t kEndOfTime = std::numeric_limits<int64_t>::max();

struct BatchContext {
  int64_t batch_id = 0;
  int64_t watermark_us = kNoWatermark;  // the watermark this batch runs with
  // The previous batch's watermark: stateful operators drop rows at or before
  // it as late (Spark 3.4+ filters late rows with the previous batch's watermark
  // and evicts state with the current one).
  int64_t late_watermark_us = kNoWatermark;
  expr::EvalContext eval;               // current_timestamp() etc.
  bool end_of_stream = false;           // all sources ended: emit everything
};

// Spark's EventTimeStats: the event times (milliseconds) a watermark step saw in one micro-batch.
struct EventTimeStats {
  int64_t min = std::numeric_limits<int64_t>::max();
  int64_t max = std::numeric_limits<int64_t>::min();
  double sum = 0;
  int64_t count = 0;
};

// What a stateful operator reports in progress (Spark's StateOperatorProgress).
struct StateOperatorProgress {
  std::string operator_name;
  uint64_t rows_total = 0;
  uint64_t rows_updated = 0;
  uint64_t rows_dropped_by_watermark = 0;
  uint64_t memory_used_bytes = 0;
  std::optional<uint64_t> rows_removed_by_ttl = std::nullopt;  // with state_ttl: keys it expired
};

enum class OutputMode { Append, Update, Complete };

class Operator {
 public:
  virtual ~Operator() = default;
  virtual SchemaRef output_schema() const = 0;
  virtual void push(const BatchContext& ctx, Batch& batch, const Emit& out) = 0;
  // Operators with several inputs (union, stream-stream join) take the rows
  // of input `port` here; port 0 is the transform's own stream, 1 the stream
  // named by the step's `with`. Single-input operators only see port 0.
  virtual void push_port(int port, const BatchContext& ctx, Batch& batch, const Emit& out) {
    (void)port;
    push(ctx, batch, out);
  }
  virtual void end_batch(const BatchContext& ctx, const Emit& out) {
    (void)ctx;
    (void)out;
  }
  // Holds state that the end of the stream must flush (aggregations, joins).
  virtual bool stateful() const { return false; }
  // Stateful operators learn the output mode of the sink they feed at plan
  // time; returns why the mode is not supported (Spark's words), or "".
  virtual std::string set_output_mode(OutputMode mode) {
    (void)mode;
    return "";
  }
  // Stateful operators: expire keys untouched for `ttl_ms` of processing time
  // (the `state_ttl` step); returns why not supported, or "".
  virtual std::string set_state_ttl(int64_t ttl_ms) {
    (void)ttl_ms;
    return "state_ttl is not supported after this step";
  }
  // Whether a batch without new data must run when the watermark moves to
  // `next_watermark_us` (Spark's shouldRunAnotherBatch).
  virtual bool needs_batch(int64_t next_watermark_us) const {
    (void)next_watermark_us;
    return false;
  }
  // How far behind its input's watermark this operator's output may be
  // (Spark 3.5's produceOutputWatermark; microseconds): a stream-stream join
  // emits rows as old as its state-eviction bounds, so the stateful operators
  // after it run with the watermark moved back by this much.
  virtual int64_t output_watermark_lag_us() const { return 0; }
  // Stateful operators: counters of the micro-batch that just ended.
  virtual std::optional<StateOperatorProgress> state_progress() const { return std::nullopt; }
  // Watermark steps: the delay in milliseconds (nullopt for other operators),
  // and the event times seen since the last call (which resets them).
  virtual std::optional<int64_t> watermark_delay_ms() const { return std::nullopt; }
  virtual EventTimeStats take_event_time_stats() { return {}; }
  // Stateful operators: writes the whole state to `store`, replacing what an
  // earlier save put there, and restores it (the checkpoint seam,
  // state/state_store.hpp). The caller commits the store's version.
  virtual void save_state(StateStore& store) const { (void)store; }
  virtual void load_state(const StateStore& store) { (void)store; }
  // With `state_memory_limit` (called before load_state): this operator's
  // share of it. An operator that can spill keeps its in-memory state under
  // it: spill(), called after each state commit, leaves the least recently
  // touched keys only in the store, whence a row or the watermark brings them
  // back. Others keep all their state in memory.
  virtual void set_state_memory(size_t budget_bytes) { (void)budget_bytes; }
  virtual void spill(const StateStore& store) { (void)store; }
  // One line for `runnel explain`, e.g. "Filter (bytes > 1000)".
  virtual std::string explain() const = 0;
};

}  // namespace runnel
