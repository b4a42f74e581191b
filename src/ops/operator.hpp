// Operator: one step of a transform. The executor pushes each batch of a
// micro-batch through push(); at the end of the micro-batch it calls
// end_batch() on every operator in topological order, which is where
// stateful operators (aggregation, dedup, joins) emit per output mode.
// Operators are single-threaded; push is called per batch, never per row.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "batch/batch.hpp"
#include "expr/expression.hpp"
#include "formats/format.hpp"

namespace runnel {

constexpr int64_t kNoWatermark = std::numeric_limits<int64_t>::min();
constexpr int64_t kEndOfTime = std::numeric_limits<int64_t>::max();

struct BatchContext {
  int64_t batch_id = 0;
  int64_t watermark_us = kNoWatermark;  // the watermark this batch runs with
  expr::EvalContext eval;               // current_timestamp() etc.
  bool end_of_stream = false;           // all sources ended: emit everything
};

class Operator {
 public:
  virtual ~Operator() = default;
  virtual SchemaRef output_schema() const = 0;
  virtual void push(const BatchContext& ctx, Batch& batch, const Emit& out) = 0;
  virtual void end_batch(const BatchContext& ctx, const Emit& out) {
    (void)ctx;
    (void)out;
  }
  // Holds state that the end of the stream must flush (aggregations, joins).
  virtual bool stateful() const { return false; }
  // One line for `runnel explain`, e.g. "Filter (bytes > 1000)".
  virtual std::string explain() const = 0;
};

}  // namespace runnel
