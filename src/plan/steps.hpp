// Step kinds: each `steps:` entry of a transform is planned into one
// physical operator by the planner function registered for its key.
// Adding a step kind = one planner function + one line in steps.cpp.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline_config.hpp"
#include "ops/operator.hpp"

namespace runnel {

struct StepContext {
  const config::PipelineConfig& pipeline;
  const config::StepConfig& step;
  SchemaRef input;
  // The input column a watermark step upstream made the event time ("" if
  // none): the aggregate step drops late rows and evicts state by it.
  std::string event_time_column = {};
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

}  // namespace runnel
