#include "plan/graph.hpp"

#include <map>

#include "base/error.hpp"
#include "plan/steps.hpp"

namespace runnel {

namespace {

std::unique_ptr<Source> create_source(const config::PipelineConfig& config, const config::ConnectorConfig& c,
                                      const RunOptions& options) {
  SourceContext ctx{config, c, config.trigger.kind == config::TriggerKind::Once ||
                                   config.trigger.kind == config::TriggerKind::AvailableNow};
  if (options.make_source)
    if (auto s = options.make_source(ctx)) return s;
  const SourceType* type = find_source_type(c.type);
  if (!type) {
    std::string known;
    for (auto& t : source_types()) known += (known.empty() ? "" : ", ") + std::string(t.type);
    c.node["type"].fail("unknown source type '" + c.type + "' (expected one of: " + known + ")");
  }
  return type->create(ctx);
}

std::unique_ptr<Sink> create_sink(const config::PipelineConfig& config, const config::SinkConfig& c,
                                  SchemaRef schema, const RunOptions& options) {
  SinkContext ctx{config, c, std::move(schema)};
  const SinkType* type = find_sink_type(c.type);
  if (!type) {
    std::string known;
    for (auto& t : sink_types()) known += (known.empty() ? "" : ", ") + std::string(t.type);
    c.node["type"].fail("unknown sink type '" + c.type + "' (expected one of: " + known + ")");
  }
  if (options.make_sink)
    if (auto s = options.make_sink(ctx)) return s;
  return type->create(ctx);
}

void plan_steps(const config::PipelineConfig& config, const config::TransformConfig& t, GraphNode& node) {
  for (auto& step : t.steps) {
    const StepKind* kind = find_step_kind(step.kind);
    if (!kind) {
      std::string known;
      for (auto& k : step_kinds()) known += (known.empty() ? "" : ", ") + std::string(k.name);
      step.value.fail("unknown step '" + step.kind + "' (expected one of: " + known + ")");
    }
    node.ops.push_back(kind->plan(StepContext{config, step, node.schema}));
    node.schema = node.ops.back()->output_schema();
  }
}

// Spark's output-mode rules for a plan without stateful operators.
void check_output_mode(const config::SinkConfig& c, const Sink& sink) {
  if (c.output_mode == "complete")
    c.node["output_mode"].fail(
        "Complete output mode not supported when there are no streaming aggregations on streaming "
        "DataFrames/Datasets");
  (void)sink;
}

}  // namespace

Graph plan_graph(const config::PipelineConfig& config, const RunOptions& options) {
  if (config.trigger.kind == config::TriggerKind::Continuous)
    config.root["trigger"].fail("the continuous trigger is not supported in this release");
  Graph g;
  std::map<std::string, SchemaRef> schemas;
  std::map<std::string, std::vector<GraphNode*>*> consumers;
  for (auto& c : config.sources) {
    auto node = std::make_unique<SourceNode>();
    node->name = c.name;
    node->source = create_source(config, c, options);
    schemas[c.name] = node->source->schema();
    consumers[c.name] = &node->consumers;
    g.sources.push_back(std::move(node));
  }
  // config.transforms are in file order; plan each once its input is planned.
  std::vector<const config::TransformConfig*> pending;
  for (auto& t : config.transforms) pending.push_back(&t);
  while (!pending.empty()) {
    size_t before = pending.size();
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& t = **it;
      if (!schemas.count(t.from)) {
        ++it;
        continue;
      }
      auto node = std::make_unique<GraphNode>();
      node->name = t.name;
      node->from = t.from;
      node->schema = schemas[t.from];
      plan_steps(config, t, *node);
      consumers[t.from]->push_back(node.get());
      schemas[t.name] = node->schema;
      consumers[t.name] = &node->consumers;
      g.transforms.push_back(std::move(node));
      it = pending.erase(it);
    }
    if (pending.size() == before)
      pending.front()->node["from"].fail("'" + pending.front()->from + "' is not a source or transform");
  }
  for (auto& c : config.sinks) {
    if (!schemas.count(c.from)) c.node["from"].fail("'" + c.from + "' is not a source or transform");
    auto node = std::make_unique<GraphNode>();
    node->name = c.name;
    node->from = c.from;
    node->schema = schemas[c.from];
    node->output_mode = c.output_mode;
    node->sink = create_sink(config, c, node->schema, options);
    check_output_mode(c, *node->sink);
    consumers[c.from]->push_back(node.get());
    g.sinks.push_back(std::move(node));
  }
  return g;
}

std::string Graph::explain() const {
  std::string s = "== Physical Plan ==\n";
  for (auto& src : sources)
    s += "Source " + src->name + ": " + src->source->description() + "\n  -> " +
         src->source->schema()->to_string() + "\n";
  for (auto& t : transforms) {
    s += "Transform " + t->name + " (from " + t->from + ")\n";
    for (auto& op : t->ops) s += "  " + op->explain() + "\n    -> " + op->output_schema()->to_string() + "\n";
  }
  for (auto& k : sinks)
    s += "Sink " + k->name + " (from " + k->from + ", output_mode " + k->output_mode + "): " +
         k->sink->description() + "\n";
  return s;
}

}  // namespace runnel
