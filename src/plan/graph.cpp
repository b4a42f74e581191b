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

// Plans the steps of `t`; `event_time` is the watermarked column of its
// input ("" for none). Returns the watermarked column of its output.
std::string plan_steps(const config::PipelineConfig& config, const config::TransformConfig& t, GraphNode& node,
                       std::string event_time) {
  for (auto& step : t.steps) {
    const StepKind* kind = find_step_kind(step.kind);
    if (!kind) {
      std::string known;
      for (auto& k : step_kinds()) known += (known.empty() ? "" : ", ") + std::string(k.name);
      step.value.fail("unknown step '" + step.kind + "' (expected one of: " + known + ")");
    }
    node.ops.push_back(kind->plan(StepContext{config, step, node.schema, event_time}));
    node.schema = node.ops.back()->output_schema();
    // Spark keeps the watermark on the column through later steps; a step that drops it ends it.
    if (step.kind == "watermark") event_time = (*node.schema)[*node.schema->find(step.value["column"].str())].name;
    else if (!event_time.empty() && !node.schema->find(event_time)) event_time.clear();
  }
  return event_time;
}

OutputMode parse_output_mode(const std::string& mode) {
  if (mode == "complete") return OutputMode::Complete;
  return mode == "update" ? OutputMode::Update : OutputMode::Append;
}

// Spark's output-mode rules: complete needs an aggregation; a stateful
// operator upstream of the sink checks the mode and learns it.
void check_output_mode(const config::SinkConfig& c, const std::map<std::string, GraphNode*>& transforms) {
  std::vector<Operator*> stateful;
  for (auto it = transforms.find(c.from); it != transforms.end(); it = transforms.find(it->second->from))
    for (auto& op : it->second->ops)
      if (op->stateful()) stateful.push_back(op.get());
  const config::Node mode_node = c.node["output_mode"];
  if (c.type == "file" && c.output_mode != "append") {  // Spark's FileStreamSink is append-only
    std::string mode = c.output_mode;
    mode[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mode[0])));
    mode_node.fail("Data source " + c.node["format"].str() + " does not support " + mode + " output mode");
  }
  if (stateful.empty()) {
    if (c.output_mode == "complete")
      mode_node.fail(
          "Complete output mode not supported when there are no streaming aggregations on streaming "
          "DataFrames/Datasets");
    return;
  }
  if (stateful.size() > 1)
    mode_node.fail("several stateful operators in a row (chained aggregations) are not supported yet");
  std::string why = stateful.front()->set_output_mode(parse_output_mode(c.output_mode));
  if (!why.empty()) mode_node.fail(why);
}

}  // namespace

Graph plan_graph(const config::PipelineConfig& config, const RunOptions& options) {
  if (config.trigger.kind == config::TriggerKind::Continuous)
    config.root["trigger"].fail("the continuous trigger is not supported in this release");
  Graph g;
  std::map<std::string, SchemaRef> schemas;
  std::map<std::string, std::vector<GraphNode*>*> consumers;
  std::map<std::string, std::string> event_times;  // by source/transform: its watermarked column
  std::map<std::string, GraphNode*> transform_nodes;
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
      event_times[t.name] = plan_steps(config, t, *node, event_times[t.from]);
      transform_nodes[t.name] = node.get();
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
    check_output_mode(c, transform_nodes);
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
