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

struct SourceNode {
  std::string name;
  std::unique_ptr<Source> source;
  std::vector<GraphNode*> consumers;
  nlohmann::json committed_offset;  // end of the last committed batch (null: none)
};

// A transform or a sink: receives batches from one upstream node.
struct GraphNode {
  std::string name;
  std::string from;
  SchemaRef schema;                          // output schema
  std::vector<std::unique_ptr<Operator>> ops;  // transforms only
  std::unique_ptr<Sink> sink;                // sinks only
  std::string output_mode;                   // sinks only
  std::vector<GraphNode*> consumers;
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
