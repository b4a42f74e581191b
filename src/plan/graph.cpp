#include "plan/graph.hpp"

#include <algorithm>
#include <map>

#include "base/error.hpp"
#include "expr/ast.hpp"
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

// A source's or transform's output while planning: what later steps and
// sinks see, and where its batches go.
struct Stream {
  StreamInfo info;
  std::vector<Edge>* consumers;
};

// The stream a union/join step reads besides its own ("" for other steps).
std::string with_name(const config::StepConfig& step) {
  if (step.kind != "union" && step.kind != "join") return "";
  if (!step.value.is_map() || !step.value["with"].defined()) return "";
  return step.value["with"].str();
}

// Spark's ResolveWindowTime marks window_time(w) of an event-time window w as
// event time: when a select or with_columns step computes it, the name of
// that output column ("" for none). The step was planned, so its expressions parse.
std::string window_time_column(const config::StepConfig& step, const std::string& window, const Schema& input) {
  std::vector<std::pair<std::string, config::Node>> items;  // (output name or "", expression)
  if (step.kind == "select" && step.value.is_seq())
    for (const config::Node& item : step.value.items()) items.emplace_back("", item);
  else if (step.kind == "with_columns" && step.value.is_map())
    items = step.value.entries();
  for (auto& [name, item] : items) {
    if (!item.is_scalar()) continue;
    expr::AstPtr ast = expr::parse(item.str());
    if (ast->kind != expr::AstKind::Call || expr::ascii_lower(ast->name) != "window_time" || ast->children.size() != 1)
      continue;
    const expr::Ast& arg = *ast->children[0];
    if (arg.kind != expr::AstKind::Column || arg.parts.size() != 1 || input.find(arg.parts[0]) != input.find(window))
      continue;
    if (!name.empty()) return name;
    return ast->alias.empty() ? expr::display_name(*ast, &input) : ast->alias;
  }
  return "";
}

// Plans the steps of `t` into `node`, whose input is `input`, and wires the
// streams its union/join steps read. Returns the watermarked column of its
// output ("" for none).
std::string plan_steps(const config::PipelineConfig& config, const config::TransformConfig& t, GraphNode& node,
                       const StreamInfo& input, std::map<std::string, Stream>& streams) {
  std::string event_time = input.event_time_column;
  node.schema = input.schema;
  auto find_stream = [&streams](const std::string& name) -> const StreamInfo* {
    auto it = streams.find(name);
    return it == streams.end() ? nullptr : &it->second.info;
  };
  for (auto& step : t.steps) {
    const StepKind* kind = find_step_kind(step.kind);
    if (!kind) {
      std::string known;
      for (auto& k : step_kinds()) known += (known.empty() ? "" : ", ") + std::string(k.name);
      step.value.fail("unknown step '" + step.kind + "' (expected one of: " + known + ")");
    }
    StepContext ctx{config, step, node.schema, event_time, find_stream};
    ctx.previous = node.ops.empty() ? nullptr : node.ops.back().get();
    const SchemaRef input_schema = node.schema;
    node.ops.push_back(kind->plan(ctx));
    node.steps.push_back(PlannedStep{&step, event_time});
    node.schema = node.ops.back()->output_schema();
    // Spark keeps the watermark on the column through later steps; a step that drops it ends it,
    // unless it computes window_time() of it.
    if (ctx.output_event_time) event_time = *ctx.output_event_time;
    else if (step.kind == "watermark") event_time = (*node.schema)[*node.schema->find(step.value["column"].str())].name;
    else if (!event_time.empty() && !node.schema->find(event_time))
      event_time = window_time_column(step, event_time, *input_schema);
    std::string with = with_name(step);
    if (auto it = streams.find(with); it != streams.end()) {
      it->second.consumers->push_back(Edge{&node, node.ops.size() - 1, 1});
      node.inputs.push_back(with);
    }
  }
  return event_time;
}

OutputMode parse_output_mode(const std::string& mode) {
  if (mode == "complete") return OutputMode::Complete;
  return mode == "update" ? OutputMode::Update : OutputMode::Append;
}

// One operator of the plan feeding a sink, with what the output-mode rules ask of it.
struct PlanOp {
  Operator* op;
  const PlannedStep* step;
  bool aggregate_upstream;  // a streaming aggregation feeds it (directly or not)
};

bool is_aggregate(const PlannedStep& s) { return s.config->kind == "aggregate"; }

// Spark's isStatefulOperation: the operators a late row can be dropped by.
// A dedup counts only with the event time among its keys (or within the watermark).
bool drops_late_rows(const PlannedStep& s) {
  if (is_aggregate(s)) return true;
  if (s.config->kind != "deduplicate" || s.event_time_column.empty()) return false;
  const config::Node& v = s.config->value;
  if (!v.is_map()) return true;  // all columns, the event time among them
  if (v["within_watermark"].defined() && v["within_watermark"].boolean()) return true;
  if (!v["columns"].defined()) return true;
  const config::Node list = v["columns"];
  for (const config::Node& c : list.is_seq() ? list.items() : std::vector<config::Node>{list})
    if (c.str() == s.event_time_column) return true;
  return false;
}

// The operators upstream of a sink, each after everything that feeds it;
// returns whether `node`'s output has an aggregation upstream.
bool collect_ops(const std::string& name, const std::map<std::string, GraphNode*>& transforms,
                 std::map<std::string, bool>& visited, std::vector<PlanOp>& ops) {
  auto it = transforms.find(name);
  if (it == transforms.end()) return false;  // a source
  if (auto v = visited.find(name); v != visited.end()) return v->second;
  GraphNode& node = *it->second;
  bool aggregate = collect_ops(node.from, transforms, visited, ops);
  for (size_t i = 0; i < node.ops.size(); ++i) {
    if (std::string with = with_name(*node.steps[i].config); !with.empty())
      aggregate |= collect_ops(with, transforms, visited, ops);
    ops.push_back(PlanOp{node.ops[i].get(), &node.steps[i], aggregate});
    aggregate |= is_aggregate(node.steps[i]);
  }
  visited[name] = aggregate;
  return aggregate;
}

// Spark's output-mode rules (UnsupportedOperationChecker, in its words):
// complete needs an aggregation; sorting needs complete data; a stateful
// operator may not follow an aggregation in update or complete mode (its
// output can be late for the next one: the global-watermark check); and each
// stateful operator checks the mode and learns it.
void check_output_mode(const config::SinkConfig& c, const std::map<std::string, GraphNode*>& transforms) {
  std::vector<PlanOp> ops;
  std::map<std::string, bool> visited;
  const bool aggregated = collect_ops(c.from, transforms, visited, ops);
  const config::Node mode_node = c.node["output_mode"];
  if (c.type == "file" && c.output_mode != "append") {  // Spark's FileStreamSink is append-only
    std::string mode = c.output_mode;
    mode[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mode[0])));
    mode_node.fail("Data source " + c.node["format"].str() + " does not support " + mode + " output mode");
  }
  const OutputMode mode = parse_output_mode(c.output_mode);
  if (mode == OutputMode::Complete && !aggregated)
    mode_node.fail(
        "Complete output mode not supported when there are no streaming aggregations on streaming "
        "DataFrames/Datasets");
  for (const PlanOp& p : ops) {
    // Complete mode asks only the aggregations (a dedup before one is fine), and stream-stream joins.
    const bool asked = is_aggregate(*p.step) || p.step->config->kind == "join";
    if (!p.op->stateful() || (mode == OutputMode::Complete && !asked)) continue;
    std::string why = p.op->set_output_mode(mode);
    if (!why.empty()) mode_node.fail(why);
  }
  for (const PlanOp& p : ops)
    if (p.step->config->kind == "order_by" && !(p.aggregate_upstream && mode == OutputMode::Complete))
      p.step->config->value.fail(
          "Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated "
          "DataFrame/Dataset in Complete output mode");
  for (const PlanOp& p : ops)
    if (mode != OutputMode::Append && p.aggregate_upstream && drops_late_rows(*p.step))
      mode_node.fail(
          "Detected pattern of possible 'correctness' issue due to global watermark. The query contains stateful "
          "operation which can emit rows older than the current watermark plus allowed late record delay, which "
          "are \"late rows\" in downstream stateful operations and these rows can be discarded. Please refer the "
          "programming guide doc for more details. If you understand the possible risk of correctness issue and "
          "still need to run the query, you can disable this check by setting the config "
          "`spark.sql.streaming.statefulOperator.checkCorrectness.enabled` to false.");
}

// The streams `t` reads: its `from` and the `with` of its union/join steps.
std::vector<std::pair<std::string, config::Node>> dependencies(const config::TransformConfig& t) {
  std::vector<std::pair<std::string, config::Node>> deps{{t.from, t.node["from"]}};
  for (auto& step : t.steps)
    if (std::string with = with_name(step); !with.empty()) deps.emplace_back(with, step.value["with"]);
  return deps;
}

const config::TransformConfig* find_transform(const config::PipelineConfig& config, const std::string& name) {
  for (auto& t : config.transforms)
    if (t.name == name) return &t;
  return nullptr;
}

// Whether stream `name` reads, directly or not, from transform `target`.
bool reads_from(const config::PipelineConfig& config, const std::string& name, const std::string& target,
                std::vector<std::string>& seen) {
  if (name == target) return true;
  const config::TransformConfig* t = find_transform(config, name);
  if (!t || std::find(seen.begin(), seen.end(), name) != seen.end()) return false;
  seen.push_back(name);
  for (auto& [dep, node] : dependencies(*t))
    if (reads_from(config, dep, target, seen)) return true;
  return false;
}

// No transform left can be planned: names the missing input or the cycle.
[[noreturn]] void fail_unplannable(const config::PipelineConfig& config,
                                   const std::vector<const config::TransformConfig*>& pending,
                                   const std::map<std::string, Stream>& streams) {
  for (const config::TransformConfig* t : pending)
    for (auto& [dep, node] : dependencies(*t)) {
      if (streams.count(dep)) continue;
      if (!find_transform(config, dep)) node.fail("'" + dep + "' is not a source or transform");
      std::vector<std::string> seen;
      if (reads_from(config, dep, t->name, seen))
        node.fail("'" + dep + "' reads from transform '" + t->name + "' itself (a cycle)");
    }
  pending.front()->node["from"].fail("'" + pending.front()->from + "' is not a source or transform");
}

}  // namespace

Graph plan_graph(const config::PipelineConfig& config, const RunOptions& options) {
  if (config.trigger.kind == config::TriggerKind::Continuous)
    config.root["trigger"].fail("the continuous trigger is not supported in this release");
  Graph g;
  std::map<std::string, Stream> streams;
  std::map<std::string, GraphNode*> transform_nodes;
  for (auto& c : config.sources) {
    auto node = std::make_unique<SourceNode>();
    node->name = c.name;
    node->source = create_source(config, c, options);
    streams[c.name] = Stream{{node->source->schema(), ""}, &node->consumers};
    g.sources.push_back(std::move(node));
  }
  // config.transforms are in file order; plan each once the streams it reads are planned.
  std::vector<const config::TransformConfig*> pending;
  for (auto& t : config.transforms) pending.push_back(&t);
  auto ready = [&](const config::TransformConfig& t) {
    for (auto& [dep, node] : dependencies(t))
      if (!streams.count(dep) && (dep == t.from || find_transform(config, dep))) return false;
    return true;
  };
  while (!pending.empty()) {
    size_t before = pending.size();
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& t = **it;
      if (!ready(t)) {
        ++it;
        continue;
      }
      auto node = std::make_unique<GraphNode>();
      node->name = t.name;
      node->from = t.from;
      Stream& input = streams[t.from];
      input.consumers->push_back(Edge{node.get(), 0, 0});
      std::string event_time = plan_steps(config, t, *node, input.info, streams);
      transform_nodes[t.name] = node.get();
      streams[t.name] = Stream{{node->schema, event_time}, &node->consumers};
      g.transforms.push_back(std::move(node));
      it = pending.erase(it);
    }
    if (pending.size() == before) fail_unplannable(config, pending, streams);
  }
  for (auto& c : config.sinks) {
    auto it = streams.find(c.from);
    if (it == streams.end()) c.node["from"].fail("'" + c.from + "' is not a source or transform");
    auto node = std::make_unique<GraphNode>();
    node->name = c.name;
    node->from = c.from;
    node->schema = it->second.info.schema;
    node->output_mode = c.output_mode;
    node->sink = create_sink(config, c, node->schema, options);
    check_output_mode(c, transform_nodes);
    it->second.consumers->push_back(Edge{node.get(), 0, 0});
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
