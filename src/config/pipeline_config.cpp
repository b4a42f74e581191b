// load_pipeline: read the file, apply --set overrides, check the top-level
// shape and the stream graph (names, `from`, cycles). Per-type options of
// sources, sinks and steps are left to their owners (validate_options).
#include "config/pipeline_config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"

namespace runnel::config {

namespace fs = std::filesystem;

namespace {

// ---- reading and parsing --------------------------------------------------

std::string read_file(const std::string& file) {
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) fail(ErrorKind::NoInput, file + ": no such file");
  if (fs::is_directory(status)) fail(ErrorKind::NoInput, file + ": is a directory, not a pipeline file");
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorKind::NoInput, file + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ErrorKind::IO, file + ": read failed");
  return text.str();
}

[[noreturn]] void rethrow_yaml(const std::string& where, const YAML::Exception& e) {
  std::string pos = e.mark.is_null() ? where
                                     : where + ":" + std::to_string(e.mark.line + 1) + ":" +
                                           std::to_string(e.mark.column + 1);
  fail(ErrorKind::Config, pos + ": " + e.msg);
}

YAML::Node parse_yaml(const std::string& text, const std::string& where) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    rethrow_yaml(where, e);
  }
}

// ---- --set overrides ------------------------------------------------------

struct PathSegment {
  std::string key;  // a map key, or "" for a list index
  size_t index = 0;
};

[[noreturn]] void bad_set(const std::string& assignment, const std::string& why) {
  fail(ErrorKind::Usage, "--set " + assignment + ": " + why);
}

// A connector's librdkafka properties are single keys with dots in them
// (`kafka.security.protocol`): in sources.X.kafka.a.b (sinks, tables too)
// the segments from `kafka` on are one key.
void join_passthrough_key(std::vector<PathSegment>& path) {
  const bool connector = path.size() > 3 && (path[0].key == "sources" || path[0].key == "sinks" ||
                                             path[0].key == "tables");
  if (!connector || path[2].key != "kafka") return;
  for (size_t i = 3; i < path.size(); ++i) {
    if (path[i].key.empty()) return;  // a list index: not a property name
    path[2].key += "." + path[i].key;
  }
  path.resize(3);
}

// "sinks.out.path" / "transforms.t.steps[2].where" -> segments.
std::vector<PathSegment> parse_set_path(std::string_view path, const std::string& assignment) {
  std::vector<PathSegment> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t end = path.find_first_of(".[", i);
    std::string_view key = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (key.empty()) bad_set(assignment, "expected a dotted path like sinks.out.path");
    out.push_back({std::string(key)});
    i = end == std::string_view::npos ? path.size() : end;
    while (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      size_t index = 0;
      std::string_view digits = path.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (close == std::string_view::npos || digits.empty() || ec != std::errc() ||
          ptr != digits.data() + digits.size())
        bad_set(assignment, "expected a list index like steps[2]");
      out.push_back({"", index});
      i = close + 1;
    }
    if (i == path.size()) break;
    if (path[i] != '.') bad_set(assignment, "expected '.' after ']'");
    ++i;
  }
  join_passthrough_key(out);
  return out;
}

// A copy without source marks, so errors about it say "--set <path>" rather
// than a position in the (one-line) value text. Depth-limited: a value like
// `&a [*a]` is a cycle.
YAML::Node without_marks(const YAML::Node& node, const std::string& assignment, int depth = 0) {
  if (depth > 64) bad_set(assignment, "value nested too deeply");
  if (node.IsScalar()) return YAML::Node(node.Scalar());
  if (node.IsNull()) return YAML::Node(YAML::NodeType::Null);
  YAML::Node copy(node.IsMap() ? YAML::NodeType::Map : YAML::NodeType::Sequence);
  for (const auto& item : node) {
    if (node.IsMap())
      copy[without_marks(item.first, assignment, depth + 1)] = without_marks(item.second, assignment, depth + 1);
    else
      copy.push_back(without_marks(item, assignment, depth + 1));
  }
  return copy;
}

// The value is a plain string, unless it looks like YAML flow syntax
// ([list], {map}, 'quoted' or "quoted"), which is parsed.
YAML::Node parse_set_value(const std::string& value, const std::string& assignment) {
  if (value.empty() || std::string_view("[{'\"").find(value[0]) == std::string_view::npos)
    return YAML::Node(value);
  try {
    return without_marks(YAML::Load(value), assignment);
  } catch (const YAML::Exception& e) {
    bad_set(assignment, "value is not valid YAML: " + e.msg);
  }
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos) bad_set(assignment, "expected PATH=VALUE");
  std::vector<PathSegment> path = parse_set_path(std::string_view(assignment).substr(0, eq), assignment);
  YAML::Node value = parse_set_value(assignment.substr(eq + 1), assignment);
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node current = root;  // yaml-cpp: reset() rebinds; operator= would overwrite
  for (size_t i = 0; i < path.size(); ++i) {
    const PathSegment& seg = path[i];
    bool last = i + 1 == path.size();
    YAML::Node next;
    if (!seg.key.empty()) {
      if (!current.IsMap()) current = YAML::Node(YAML::NodeType::Map);  // replace a scalar/null by a map
      next.reset(current[seg.key]);
    } else {
      if (!current.IsSequence() || seg.index > current.size())
        bad_set(assignment, "no list element [" + std::to_string(seg.index) + "] to set");
      if (seg.index == current.size()) current.push_back(YAML::Node(YAML::NodeType::Null));
      next.reset(current[seg.index]);
    }
    if (last) next = value;
    current.reset(next);
  }
}

// ---- top-level checks -----------------------------------------------------

Trigger parse_trigger(const Node& node) {
  Trigger trigger;
  if (!node.defined()) return trigger;
  const char* expected =
      "expected once, available_now, {processing_time: DURATION} or {continuous: DURATION}";
  if (node.is_scalar()) {
    std::string kind = node.choice({"once", "available_now"});
    trigger.kind = kind == "once" ? TriggerKind::Once : TriggerKind::AvailableNow;
    return trigger;
  }
  if (!node.is_map()) node.fail(std::string(expected) + ", got a list");
  node.check_keys({"processing_time", "continuous", "once", "available_now"});
  auto entries = node.entries();
  if (entries.size() != 1) node.fail(std::string(expected) + " (exactly one key)");
  const auto& [kind, value] = entries[0];
  if (kind == "once" || kind == "available_now") {
    // {once: true} is accepted as a spelling of `once`.
    if (value.defined() && !value.boolean()) value.fail("expected true (or write `trigger: " + kind + "`)");
    trigger.kind = kind == "once" ? TriggerKind::Once : TriggerKind::AvailableNow;
    return trigger;
  }
  trigger.kind = kind == "processing_time" ? TriggerKind::ProcessingTime : TriggerKind::Continuous;
  trigger.interval_us = value.duration_us();
  return trigger;
}

std::string non_empty_type(const Node& node) {
  Node type = node.required("type");
  std::string value = type.str();
  if (value.empty()) type.fail("expected a type name, got an empty string");
  return value;
}

// A named section (sources, tables, transforms, sinks): a map of name -> map.
std::vector<std::pair<std::string, Node>> section(const Node& root, std::string_view key, bool required) {
  Node node = root[key];
  if (!node.defined()) {
    if (required) root.fail("missing required section '" + std::string(key) + "'");
    return {};
  }
  auto entries = node.entries();
  if (required && entries.empty()) node.fail("expected at least one entry");
  for (const auto& [name, value] : entries) {
    if (name.empty()) node.key(name).fail("expected a non-empty name");
    if (!value.is_map()) value.fail("expected a map of options like {type: ...}");
  }
  return entries;
}

ConnectorConfig connector(const std::string& name, const Node& node) {
  return ConnectorConfig{name, non_empty_type(node), node};
}

StepConfig step(const Node& node) {
  if (!node.is_map()) node.fail("a step is a map with one key, like `- where: EXPR`");
  auto entries = node.entries();
  if (entries.size() != 1)
    node.fail("a step is a map with one key, like `- where: EXPR`; got " + std::to_string(entries.size()) +
              " keys");
  return StepConfig{entries[0].first, entries[0].second};
}

TransformConfig transform(const std::string& name, const Node& node) {
  node.check_keys({"from", "steps"});
  TransformConfig t{name, node.required("from").str(), {}, node};
  Node steps = node["steps"];
  if (steps.defined())
    for (const Node& s : steps.items()) t.steps.push_back(step(s));
  return t;
}

SinkConfig sink(const std::string& name, const Node& node) {
  SinkConfig s;
  s.name = name;
  s.type = non_empty_type(node);
  s.node = node;
  s.from = node.required("from").str();
  Node mode = node["output_mode"];
  s.output_mode = mode.defined() ? mode.choice({"append", "update", "complete"}) : "append";
  return s;
}

// ---- the stream graph -----------------------------------------------------

enum class NameKind { Source, Table, Transform, Sink };

const char* kind_name(NameKind k) {
  switch (k) {
    case NameKind::Source: return "source";
    case NameKind::Table: return "table";
    case NameKind::Transform: return "transform";
    case NameKind::Sink: return "sink";
  }
  return "";
}

struct NamedThing {
  std::string name;
  NameKind kind;
  Node key;  // positioned at the name
};

class Graph {
 public:
  explicit Graph(const PipelineConfig& p) : p_(p) {
    add(p.sources, NameKind::Source, "sources");
    add(p.tables, NameKind::Table, "tables");
    add(p.transforms, NameKind::Transform, "transforms");
    add(p.sinks, NameKind::Sink, "sinks");
  }

  void check() const {
    for (const TransformConfig& t : p_.transforms) check_from(t.node, t.from);
    for (const SinkConfig& s : p_.sinks) check_from(s.node, s.from);
    check_cycles();
  }

 private:
  template <class List>
  void add(const List& list, NameKind kind, std::string_view section) {
    for (const auto& item : list) {
      Node key = p_.root[section].key(item.name);
      if (const NamedThing* seen = find(item.name, kind == NameKind::Sink))
        key.fail("name '" + item.name + "' is already used by " + kind_name(seen->kind) + " '" + seen->name +
                 "' at " + seen->key.where() +
                 (kind == NameKind::Sink ? "" : " (sources, tables and transforms share one namespace)"));
      names_.push_back({item.name, kind, key});
    }
  }

  // Sinks are never named by `from`, so they have a namespace of their own
  // (a sink often shares its transform's name).
  const NamedThing* find(const std::string& name, bool sink) const {
    for (const NamedThing& n : names_)
      if (n.name == name && (n.kind == NameKind::Sink) == sink) return &n;
    return nullptr;
  }

  void check_from(const Node& owner, const std::string& from) const {
    Node node = owner["from"];
    const NamedThing* target = find(from, false);
    if (target && (target->kind == NameKind::Source || target->kind == NameKind::Transform)) return;
    if (target && target->kind == NameKind::Table)
      node.fail("'" + from + "' is a table, not a stream; read a source or transform and join the table "
                "with a `join: {with: " + from + "}` step");
    if (find(from, true)) node.fail("'" + from + "' is a sink; `from` names a source or transform");
    std::vector<std::string_view> streams;
    for (const NamedThing& n : names_)
      if (n.kind == NameKind::Source || n.kind == NameKind::Transform) streams.push_back(n.name);
    std::string suggestion = closest_match(from, streams);
    node.fail("unknown source or transform '" + from + "'" +
              (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
  }

  const TransformConfig* transform_named(const std::string& name) const {
    for (const TransformConfig& t : p_.transforms)
      if (t.name == name) return &t;
    return nullptr;
  }

  // Each transform has one `from`, so following it from any transform either
  // reaches a source or loops; a loop is reported at the first transform (in
  // file order) on it.
  void check_cycles() const {
    for (const TransformConfig& start : p_.transforms) {
      std::vector<const TransformConfig*> chain{&start};
      for (const TransformConfig* t = transform_named(start.from); t; t = transform_named(t->from)) {
        if (t == &start) {
          std::string loop = start.name;
          for (size_t i = 1; i < chain.size(); ++i) loop += " -> " + chain[i]->name;
          start.node["from"].fail("transforms read from each other in a cycle: " + loop + " -> " + start.name);
        }
        if (std::find(chain.begin(), chain.end(), t) != chain.end()) break;  // a loop not through start
        chain.push_back(t);
      }
    }
  }

  const PipelineConfig& p_;
  std::vector<NamedThing> names_;
};

void check_top_level(PipelineConfig& p) {
  const Node& root = p.root;
  if (!root.is_map())
    root.fail("expected a map of top-level keys (version, sources, transforms, sinks, ...)");
  root.check_keys({"version", "name", "checkpoint", "min_batches_to_retain", "state_memory_limit", "trigger",
                   "watermark_policy", "sources", "tables", "transforms", "sinks"});
  Node version = root.required("version");
  if (version.integer() != 1)
    version.fail("unsupported version " + version.str() + "; this runnel reads version 1");
  if (root["name"].defined()) p.name = root["name"].str();
  if (root["checkpoint"].defined()) p.checkpoint = p.resolve_path(root["checkpoint"].str());
  if (Node n = root["min_batches_to_retain"]; n.defined()) {
    p.min_batches_to_retain = n.integer();
    if (p.min_batches_to_retain < 1) n.fail("must be at least 1 (the last committed batch is always kept)");
  }
  if (Node n = root["state_memory_limit"]; n.defined()) {
    p.state_memory_limit = n.bytes();
    if (p.checkpoint.empty()) n.fail("state_memory_limit needs a checkpoint: keys spill to its state store");
  }
  p.trigger = parse_trigger(root["trigger"]);
  if (root["watermark_policy"].defined()) p.watermark_policy = root["watermark_policy"].choice({"min", "max"});

  for (const auto& [name, node] : section(root, "sources", true)) p.sources.push_back(connector(name, node));
  for (const auto& [name, node] : section(root, "tables", false)) p.tables.push_back(connector(name, node));
  for (const auto& [name, node] : section(root, "transforms", false)) p.transforms.push_back(transform(name, node));
  for (const auto& [name, node] : section(root, "sinks", true)) p.sinks.push_back(sink(name, node));
  Graph(p).check();
}

}  // namespace

std::string PipelineConfig::resolve_path(const std::string& path) const {
  if (path.empty() || path == "-" || path.front() == '/') return path;
  return base_dir.empty() ? path : base_dir + "/" + path;
}

PipelineConfig load_pipeline(const std::string& file, const std::vector<std::string>& overrides) {
  return load_pipeline_text(read_file(file), file, overrides);
}

PipelineConfig load_pipeline_text(const std::string& text, const std::string& file,
                                  const std::vector<std::string>& overrides) {
  PipelineConfig p;
  p.file = file;
  p.base_dir = fs::absolute(fs::path(file)).parent_path().lexically_normal().string();
  p.name = fs::path(file).stem().string();
  YAML::Node root = parse_yaml(text, file);
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  try {
    for (const std::string& assignment : overrides) apply_override(root, assignment);
    p.root = Node(root, std::make_shared<const std::string>(file), "");
    check_top_level(p);
  } catch (const YAML::Exception& e) {  // an adapter bug or an odd document; still a config error
    rethrow_yaml(file, e);
  }
  return p;
}

}  // namespace runnel::config
