#include "exec/progress.hpp"

#include <cerrno>
#include <cstring>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/uuid.hpp"
#include "plan/graph.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

int64_t wall_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso_millis(int64_t micros) {
  std::string s;
  format_timestamp_iso(floor_div(micros, 1000) * 1000, s);
  return s;
}

// Nearest the sink first, as Spark lists them (a pre-order walk of the plan
// from its root).
nlohmann::json state_operators(const Graph& graph) {
  nlohmann::json list = nlohmann::json::array();
  for (auto t = graph.transforms.rbegin(); t != graph.transforms.rend(); ++t)
    for (auto op = (*t)->ops.rbegin(); op != (*t)->ops.rend(); ++op)
      if (auto p = (*op)->state_progress())
      {
        list.push_back({{"operatorName", p->operator_name},
                        {"numRowsTotal", p->rows_total},
                        {"numRowsUpdated", p->rows_updated},
                        {"numRowsDroppedByWatermark", p->rows_dropped_by_watermark},
                        {"memoryUsedBytes", p->memory_used_bytes}});
        if (p->rows_removed_by_ttl) list.back()["customMetrics"] = {{"numRowsRemovedByTtl", *p->rows_removed_by_ttl}};
      }
  return list;
}

double per_second(uint64_t rows, double seconds) { return seconds > 0 ? rows / seconds : 0.0; }

// The --verbose line: "batch 3: 2 rows in, 3 rows out, watermark 2024-01-01T12:04:00.000Z,
// state 5 rows (2 updated, 1 dropped late), 4 ms" (watermark and state only when there are any).
std::string summary(const BatchProgress& b, uint64_t output_rows, const nlohmann::json& state, double seconds) {
  std::string line = "batch " + std::to_string(b.batch_id) + ": " + std::to_string(b.input_rows) + " rows in, " +
                     std::to_string(output_rows) + " rows out";
  if (b.event_time.contains("watermark")) line += ", watermark " + b.event_time["watermark"].get<std::string>();
  if (!state.empty()) {
    uint64_t total = 0, updated = 0, dropped = 0;
    for (auto& op : state) {
      total += op["numRowsTotal"].get<uint64_t>();
      updated += op["numRowsUpdated"].get<uint64_t>();
      dropped += op["numRowsDroppedByWatermark"].get<uint64_t>();
    }
    line += ", state " + std::to_string(total) + " rows (" + std::to_string(updated) + " updated, " +
            std::to_string(dropped) + " dropped late)";
  }
  return line + ", " + std::to_string(static_cast<int64_t>(seconds * 1000)) + " ms";
}

}  // namespace

void BatchProgress::source(const SourceNode& node, const std::optional<nlohmann::json>& end, uint64_t rows) {
  input_rows += rows;
  sources.push_back({{"description", node.source->description()},
                     {"startOffset", node.committed_offset},
                     {"endOffset", end ? *end : node.committed_offset},
                     {"numInputRows", rows}});
}

ProgressReporter::ProgressReporter(const config::PipelineConfig& config, const RunOptions& options)
    : id_(random_uuid()), run_id_(random_uuid()), name_(config.name) {
  if (options.progress_log.empty()) return;
  if (options.progress_log == "-") {
    out_ = stderr;
    return;
  }
  out_ = std::fopen(options.progress_log.c_str(), "a");
  if (!out_) fail(ErrorKind::IO, "cannot open progress log " + options.progress_log + ": " + std::strerror(errno));
  owns_out_ = true;
}

ProgressReporter::~ProgressReporter() {
  if (owns_out_) std::fclose(out_);
}

BatchProgress ProgressReporter::begin(int64_t batch_id) {
  BatchProgress b;
  b.batch_id = batch_id;
  b.start_us = wall_us();
  b.started = std::chrono::steady_clock::now();
  b.lap_start = b.started;
  return b;
}

void BatchProgress::lap(const char* name) {
  auto now = std::chrono::steady_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - lap_start).count();
  durations[name] = durations.value(name, int64_t{0}) + static_cast<int64_t>(ms);
  lap_start = now;
}

namespace {
nlohmann::json duration_ms(const BatchProgress& b, double seconds) {
  nlohmann::json d = b.durations;
  d["triggerExecution"] = static_cast<int64_t>(seconds * 1000);
  return d;
}
}  // namespace

void ProgressReporter::end(const BatchProgress& b, const Graph& graph) {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - b.started).count();
  double since_previous =
      previous_start_ ? std::chrono::duration<double>(b.started - *previous_start_).count() : 0.0;
  previous_start_ = b.started;
  uint64_t output_rows = 0;
  std::string sink_description;
  for (auto& k : graph.sinks) {
    output_rows += k->rows_out;
    sink_description += (sink_description.empty() ? "" : ", ") + k->sink->description();
  }
  nlohmann::json state = state_operators(graph);
  if (log::verbose()) log::info(summary(b, output_rows, state, seconds));
  if (!out_) return;
  nlohmann::json p = {
      {"id", id_},
      {"runId", run_id_},
      {"name", name_},
      {"timestamp", iso_millis(b.start_us)},
      {"batchId", b.batch_id},
      {"numInputRows", b.input_rows},
      {"inputRowsPerSecond", per_second(b.input_rows, since_previous)},
      {"processedRowsPerSecond", per_second(b.input_rows, seconds)},
      {"durationMs", duration_ms(b, seconds)},
      {"eventTime", b.event_time},
      {"stateOperators", std::move(state)},
      {"sources", b.sources},
      {"sink", {{"description", sink_description}, {"numOutputRows", output_rows}}},
  };
  std::string line = p.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace runnel
