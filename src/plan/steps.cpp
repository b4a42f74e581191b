#include "plan/steps.hpp"

namespace runnel {

const std::vector<StepKind>& step_kinds() {
  static const std::vector<StepKind> kinds = {
      {"select", "projection: expressions, `*`, a generator such as explode()", plan_select},
      {"where", "keeps the rows whose predicate is true", plan_where},
      {"filter", "same as where", plan_where},
      {"with_columns", "adds or replaces columns: {name: expression}", plan_with_columns},
      {"drop", "removes columns", plan_drop},
      {"rename", "renames columns: {old: new}", plan_rename},
      {"watermark", "event-time watermark: {column, delay} (withWatermark)", plan_watermark},
      {"aggregate", "grouped or global aggregation: {group_by: [expr], aggregates: [expr]}", plan_aggregate},
      {"deduplicate", "drops duplicate rows: {columns: [col], within_watermark: bool} (dropDuplicates)", plan_deduplicate},
      {"union", "rows of this stream and of another source/transform, by column position: {with: NAME} (union)", plan_union},
      {"join", "stream-static (with a `tables:` entry) or stream-stream (with a source/transform) join: {with: NAME, type, on: expr} or {with, type, using: [col]}", plan_join},
      {"order_by", "sorts each result of a complete-mode aggregation: [expr [ASC|DESC] [NULLS FIRST|LAST]] (orderBy)", plan_order_by},
      {"state_ttl", "expires the state of the stateful step before it after that long untouched: DURATION", plan_state_ttl},
  };
  return kinds;
}

const StepKind* find_step_kind(std::string_view name) {
  for (auto& k : step_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace runnel
