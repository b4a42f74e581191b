// The pipeline file as loaded: its top-level shape checked, everything else
// kept as positioned Nodes for the planner, sources, sinks and steps to read
// (each validates its own options, so errors point at the offending key).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/node.hpp"

namespace runnel::config {

struct StepConfig {
  std::string kind;  // "where", "select", ... (the single key of the step map)
  Node value;        // the step's value (expression string, list or map)
};

struct ConnectorConfig {  // a source, table or sink
  std::string name;
  std::string type;
  Node node;  // the whole map, including `type`
};

struct TransformConfig {
  std::string name;
  std::string from;
  std::vector<StepConfig> steps;
  Node node;
};

struct SinkConfig : ConnectorConfig {
  std::string from;
  std::string output_mode;  // append | update | complete
};

enum class TriggerKind { ProcessingTime, Once, AvailableNow, Continuous };

struct Trigger {
  TriggerKind kind = TriggerKind::ProcessingTime;
  int64_t interval_us = 0;  // processing_time / continuous
};

struct PipelineConfig {
  std::string file;      // path of the pipeline file as given
  std::string base_dir;  // directory relative paths resolve against
  int version = 1;
  std::string name;
  std::string checkpoint;  // resolved path, or "" for none
  // With a checkpoint: the memory the stateful operators' in-memory state may use before the
  // least recently touched keys spill to LMDB (0: no limit).
  int64_t state_memory_limit = 0;
  int64_t min_batches_to_retain = 100;  // batch logs kept in the checkpoint (Spark's spark.sql.streaming.minBatchesToRetain)
  Trigger trigger;
  std::string watermark_policy = "min";
  std::vector<ConnectorConfig> sources;
  std::vector<ConnectorConfig> tables;
  std::vector<TransformConfig> transforms;
  std::vector<SinkConfig> sinks;
  Node root;

  // Resolves a path from the file against base_dir ("-" and absolute paths unchanged).
  std::string resolve_path(const std::string& path) const;
};

// Loads and checks the top-level shape of a pipeline file. `overrides` are
// `--set a.b.c=value` assignments, applied (creating maps as needed) before
// checking. Throws Error(Config) naming file, line and column, or
// Error(NoInput) when the file does not exist.
PipelineConfig load_pipeline(const std::string& file, const std::vector<std::string>& overrides = {});
// The same for pipeline text already in memory; `file` names it in messages
// and gives the default name and the base directory.
PipelineConfig load_pipeline_text(const std::string& text, const std::string& file,
                                  const std::vector<std::string>& overrides = {});

}  // namespace runnel::config
