// Executor: runs a planned pipeline as a sequence of micro-batches, Spark's
// MicroBatchExecution in miniature. Each micro-batch: ask every source for its
// latest offset, read the new range and push it through the graph, call
// end_batch on operators in topological order, commit the sinks, commit the
// sources. Single-threaded; SIGINT/SIGTERM finish the batch in flight.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "sinks/sink.hpp"
#include "sources/source.hpp"

namespace runnel {

struct RunOptions {
  std::string progress_log;  // "" none, "-" stderr, else a file appended to
  bool verbose = false;
  // Tests replace sinks (capture) and sources (per-batch files); nullptr = registry.
  std::function<std::unique_ptr<Sink>(const SinkContext&)> make_sink;
  std::function<std::unique_ptr<Source>(const SourceContext&)> make_source;
};

struct Graph;  // plan/graph.hpp

class Executor {
 public:
  Executor(const config::PipelineConfig& config, RunOptions options);
  ~Executor();

  // Runs micro-batches until the trigger says stop, all sources end, or a
  // signal arrives. Returns the process exit code (0 on a clean stop).
  int run();
  // Runs one micro-batch if any source has new data, then at once any no-data
  // batch the advanced watermark makes due (Spark's processAllAvailable);
  // returns false when nothing ran.
  bool run_batch(std::chrono::milliseconds wait);
  // Runs the end-of-stream batch (watermark to +infinity) and closes sinks.
  void finish();
  // Ends without the end-of-stream batch (a stop by SIGTERM): waits for the
  // checkpoint's writes and closes sinks.
  void stop();
  int64_t next_batch_id() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Set by the SIGINT/SIGTERM handler; the executor stops after the batch in flight.
void install_stop_signals();
bool stop_requested();

}  // namespace runnel
