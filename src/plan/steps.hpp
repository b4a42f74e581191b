// Step kinds: each `steps:` entry of a transform is planned into one
// physical operator by the planner function registered for its key.
// Adding a step kind = one planner function + one line in steps.cpp.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline_config.hpp"
#include "ops/operator.hpp"

namespace runnel {

// A stream a step may read besides its own (`union: {with: NAME}`, a
// stream-stream join): a source's or transform's output.
struct StreamInfo {
  SchemaRef schema;
  std::string event_time_column;  // its watermarked column ("" if none)
};

struct StepContext {
  const config::PipelineConfig& pipeline;
  const config::StepConfig& step;
  SchemaRef input;
  // The input column a watermark step upstream made the event time ("" if
  // none): the aggregate step drops late rows and evicts state by it.
  std::string event_time_column = {};
  // The streams by name (sources and the transforms planned so far); null for none.
  std::function<const StreamInfo*(const std::string& name)> find_stream = {};
  // Set by a planner whose output carries the event time in another column
  // (an aggregate: its window or time key; a union: by position), or "" when
  // it ends there. Unset, the event time stays on its column while the
  // output keeps a column of that name.
  mutable std::optional<std::string> output_event_time = {};
  // The operator of the step before in this transform (nullptr for the first).
  Operator* previous = nullptr;
};

using StepPlanner = std::unique_ptr<Operator> (*)(const StepContext&);

struct StepKind {
  std::string_view name;
  std::string_view summary;
  StepPlanner plan;
};

const std::vector<StepKind>& step_kinds();
const StepKind* find_step_kind(std::string_view name);

// Planners, one per step kind (defined next to their operators in src/ops/).
std::unique_ptr<Operator> plan_where(const StepContext&);
std::unique_ptr<Operator> plan_select(const StepContext&);
std::unique_ptr<Operator> plan_with_columns(const StepContext&);
std::unique_ptr<Operator> plan_drop(const StepContext&);
std::unique_ptr<Operator> plan_rename(const StepContext&);
std::unique_ptr<Operator> plan_watermark(const StepContext&);
std::unique_ptr<Operator> plan_aggregate(const StepContext&);
std::unique_ptr<Operator> plan_deduplicate(const StepContext&);
std::unique_ptr<Operator> plan_union(const StepContext&);
std::unique_ptr<Operator> plan_join(const StepContext&);
std::unique_ptr<Operator> plan_stream_join(const StepContext&);  // by plan_join, when `with` names a stream
std::unique_ptr<Operator> plan_order_by(const StepContext&);
std::unique_ptr<Operator> plan_state_ttl(const StepContext&);

}  // namespace runnel
