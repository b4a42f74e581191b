// Per-batch progress, in the shape of Spark's StreamingQueryProgress, written
// as one JSON object per line to the --progress-log file ("-" = stderr), and
// a one-line summary on stderr with --verbose.
#pragma once
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/pipeline_config.hpp"
#include "exec/executor.hpp"

namespace runnel {

struct Graph;
struct SourceNode;

struct BatchProgress {
  int64_t batch_id = 0;
  int64_t start_us = 0;
  std::chrono::steady_clock::time_point started;
  uint64_t input_rows = 0;
  nlohmann::json sources = nlohmann::json::array();
  nlohmann::json event_time = nlohmann::json::object();  // Spark's eventTime {min, max, avg, watermark}
  // Spark's durationMs phases (walCommit, addBatch, commitOffsets) besides triggerExecution.
  nlohmann::json durations = nlohmann::json::object();
  std::chrono::steady_clock::time_point lap_start;

  void source(const SourceNode& node, const std::optional<nlohmann::json>& end, uint64_t rows);
  // Adds the time since the previous lap (or the start) to phase `name`.
  void lap(const char* name);
};

class ProgressReporter {
 public:
  ProgressReporter(const config::PipelineConfig& config, const RunOptions& options);
  ~ProgressReporter();
  // The query's id (a checkpoint's id; a fresh one for each run without).
  void set_query_id(std::string id) { id_ = std::move(id); }
  BatchProgress begin(int64_t batch_id);
  void end(const BatchProgress& batch, const Graph& graph);

 private:
  std::string id_, run_id_, name_;
  FILE* out_ = nullptr;
  bool owns_out_ = false;
  std::optional<std::chrono::steady_clock::time_point> previous_start_;
};

}  // namespace runnel
