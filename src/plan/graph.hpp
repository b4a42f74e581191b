// Graph: the physical plan of a pipeline — sources, transforms (each a chain
// of operators) and sinks, wired by `from`. Built once at load time; every
// name, type and output-mode rule is checked here, so a bad pipeline fails
// before any data is read (`runnel validate` stops after planning).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "ops/operator.hpp"
#include "sinks/sink.hpp"
#include "sources/source.hpp"

namespace runnel {

struct GraphNode;

// Where a stream's batches go: operator `step` of transform `node` (step =
// node->ops.size() for a sink, which has no operators), at input `port`
// (0: the transform's own `from` stream; 1: the stream a union/join step
// names with `with`).
struct Edge {
  GraphNode* node;
  size_t step = 0;
  int port = 0;
};

struct SourceNode {
  std::string name;
  std::unique_ptr<Source> source;
  std::vector<Edge> consumers;
  nlohmann::json committed_offset;  // end of the last committed batch (null: none)
};

// The step an operator was planned from, and the event-time column of its
// input ("" for none): the output-mode rules need both.
struct PlannedStep {
  const config::StepConfig* config;
  std::string event_time_column;
};

// A transform or a sink: receives batches from its `from` node (and, for a
// union/join step, from the node that step names).
struct GraphNode {
  std::string name;
  std::string from;
  SchemaRef schema;                          // output schema
  std::vector<std::unique_ptr<Operator>> ops;  // transforms only
  std::vector<PlannedStep> steps;            // transforms only: what ops[i] was planned from
  std::vector<std::string> inputs;           // transforms only: the streams union/join steps read with `with`
  std::unique_ptr<Sink> sink;                // sinks only
  std::string output_mode;                   // sinks only
  std::vector<Edge> consumers;
  uint64_t rows_out = 0;  // rows delivered in the current micro-batch (sinks)
};

struct Graph {
  std::vector<std::unique_ptr<SourceNode>> sources;
  std::vector<std::unique_ptr<GraphNode>> transforms;  // topological order
  std::vector<std::unique_ptr<GraphNode>> sinks;

  // The text `runnel explain` prints.
  std::string explain() const;
};

// Plans a loaded pipeline. Sources and sinks are created but touch no file
// or network until the executor runs them. Throws Error(Config) on any
// planning error, naming the position in the pipeline file.
Graph plan_graph(const config::PipelineConfig& config, const RunOptions& options);

}  // namespace runnel
