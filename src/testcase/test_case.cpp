#include "testcase/test_case.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/error.hpp"

namespace runnel::testcase {
namespace {

// Positions and errors for one case file.
class CaseReader {
 public:
  explicit CaseReader(std::string file) : file_(std::move(file)) {}

  std::string where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return file_;
    return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw Error(ErrorKind::Config, where(node) + ": " + message);
  }

  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                  std::string_view what) const {
    if (!map.IsMap()) fail(map, std::string(what) + " must be a map");
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      bool known = false;
      for (std::string_view name : allowed) known = known || key == name;
      if (known) continue;
      std::string list;
      for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      fail(entry.first, "unknown key '" + key + "' in " + std::string(what) + " (expected one of: " + list + ")");
    }
  }

  std::string str(const YAML::Node& node, std::string_view what) const {
    if (!node.IsScalar()) fail(node, std::string(what) + " must be a string");
    return node.Scalar();
  }
  int64_t integer(const YAML::Node& node, std::string_view what) const {
    const std::string text = str(node, what);
    try {
      size_t used = 0;
      const long long value = std::stoll(text, &used);
      if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    fail(node, std::string(what) + " must be an integer, got '" + text + "'");
  }
  bool boolean(const YAML::Node& node, std::string_view what) const {
    const std::string text = str(node, what);
    if (text == "true") return true;
    if (text == "false") return false;
    fail(node, std::string(what) + " must be true or false, got '" + text + "'");
  }
  std::map<std::string, std::string> string_map(const YAML::Node& node, std::string_view what) const {
    if (!node.IsMap()) fail(node, std::string(what) + " must be a map of strings");
    std::map<std::string, std::string> out;
    for (const auto& entry : node) out[entry.first.as<std::string>()] = str(entry.second, what);
    return out;
  }
  // A string, or a list of strings.
  std::vector<std::string> strings(const YAML::Node& node, std::string_view what) const {
    if (node.IsScalar()) return {node.Scalar()};
    if (!node.IsSequence()) fail(node, std::string(what) + " must be a string or a list of strings");
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(str(item, what));
    return out;
  }

  // Input bytes: a string as is, or a list of lines joined with newlines.
  std::string input_bytes(const YAML::Node& node) const {
    if (node.IsScalar()) return node.Scalar();
    std::string out;
    for (const std::string& line : strings(node, "input")) out += line + "\n";
    return out;
  }

  nlohmann::json yaml_to_json(const YAML::Node& node) const {
    if (node.IsMap()) {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = yaml_to_json(entry.second);
      return object;
    }
    if (node.IsSequence()) {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(yaml_to_json(item));
      return array;
    }
    if (node.IsNull()) return nullptr;
    // A quoted scalar is a string; a plain one is a JSON number/boolean/null if it reads as one.
    const std::string& text = node.Scalar();
    if (node.Tag() != "!") {
      if (text == "~") return nullptr;
      nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (value.is_number() || value.is_boolean() || value.is_null()) return value;
    }
    return text;
  }

  nlohmann::json row(const YAML::Node& item) const {
    nlohmann::json value;
    if (item.IsMap()) {
      value = yaml_to_json(item);
    } else if (item.IsScalar()) {
      value = nlohmann::json::parse(item.Scalar(), nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) fail(item, "expected row is not valid JSON: " + item.Scalar());
    }
    if (!value.is_object()) fail(item, "an expected row must be a JSON object, like '{\"a\": 1}' or {a: 1}");
    return value;
  }

  Rows rows(const YAML::Node& node) const {
    if (node.IsNull()) return {};
    if (node.IsScalar()) return parse_rows_text(node.Scalar(), where(node));
    if (!node.IsSequence()) fail(node, "expected rows must be a list or a block of JSON lines");
    Rows out;
    for (const auto& item : node) out.push_back(row(item));
    return out;
  }

  // `expect: {sink: rows}` plus the enclosing entry's `ordered`.
  Expectation expectation(const YAML::Node& expect, const YAML::Node& ordered, bool default_ordered) const {
    Expectation out;
    out.ordered = ordered ? boolean(ordered, "ordered") : default_ordered;
    if (!expect || expect.IsNull()) return out;
    if (!expect.IsMap()) fail(expect, "expect must map sink names to rows");
    for (const auto& entry : expect) out.rows[entry.first.as<std::string>()] = rows(entry.second);
    return out;
  }

  Step step(const YAML::Node& entry, bool ordered) const {
    Step step;
    step.line = entry.Mark().line + 1;
    if (entry.IsMap() && entry["restart"]) {
      check_keys(entry, {"restart"}, "a restart step");
      step.kind = Step::Kind::Restart;
      return step;
    }
    if (entry.IsMap() && entry["kill"]) {
      check_keys(entry, {"kill"}, "a kill step");
      step.kind = Step::Kind::Kill;
      return step;
    }
    check_keys(entry, {"input", "expect", "ordered"}, "a batch");
    if (const YAML::Node input = entry["input"]) {
      if (!input.IsMap()) fail(input, "input must map source names to their bytes");
      for (const auto& source : input) step.input[source.first.as<std::string>()] = input_bytes(source.second);
    }
    step.expect = expectation(entry["expect"], entry["ordered"], ordered);
    return step;
  }

  Command command(const YAML::Node& root) const {
    Command command;
    if (root["command"] && root["script"]) fail(root["script"], "give command or script, not both");
    if (root["command"]) command.args = strings(root["command"], "command");
    else command.script = str(root["script"], "script");
    if (const YAML::Node in = root["stdin"]) command.stdin_data = input_bytes(in);
    if (const YAML::Node exit = root["expect_exit"]) command.expect_exit = static_cast<int>(integer(exit, "expect_exit"));
    if (const YAML::Node out = root["expect_stdout"]) command.expect_stdout = str(out, "expect_stdout");
    if (const YAML::Node err = root["expect_stderr_contains"])
      command.expect_stderr_contains = strings(err, "expect_stderr_contains");
    if (const YAML::Node timeout = root["timeout_ms"]) command.timeout_ms = integer(timeout, "timeout_ms");
    if (const YAML::Node signal = root["signal"]) {
      check_keys(signal, {"send", "after_ms"}, "signal");
      command.signal = str(signal["send"], "signal.send");
      if (signal["after_ms"]) command.signal_after_ms = integer(signal["after_ms"], "signal.after_ms");
    }
    return command;
  }

  TestCase parse(const YAML::Node& root) const {
    check_keys(root,
               {"description", "pipeline", "pipeline_file", "files", "env", "set", "ordered", "batches", "end",
                "expect_error", "command", "script", "stdin", "expect_exit", "expect_stdout", "expect_stderr_contains",
                "signal", "timeout_ms"},
               "a test case");
    TestCase tc;
    tc.file = file_;
    if (!root["description"]) fail(root, "missing required field 'description' (say what the case shows)");
    tc.description = str(root["description"], "description");
    if (root["pipeline"] && root["pipeline_file"]) fail(root["pipeline_file"], "give pipeline or pipeline_file, not both");
    if (const YAML::Node p = root["pipeline"]) tc.pipeline_text = str(p, "pipeline");
    if (const YAML::Node p = root["pipeline_file"]) tc.pipeline_file = resolve(str(p, "pipeline_file"));
    if (const YAML::Node f = root["files"]) tc.files = string_map(f, "files");
    if (const YAML::Node e = root["env"]) tc.env = string_map(e, "env");
    if (const YAML::Node s = root["set"]) tc.overrides = strings(s, "set");

    if (root["command"] || root["script"]) {
      for (const char* key : {"batches", "end", "expect_error", "ordered"})
        if (root[key]) fail(root[key], std::string("'") + key + "' belongs to the pipeline form, not to a command case");
      tc.command = command(root);
      return tc;
    }
    for (const char* key : {"stdin", "expect_exit", "expect_stdout", "expect_stderr_contains", "signal", "timeout_ms"})
      if (root[key]) fail(root[key], std::string("'") + key + "' needs `command:` (the command form)");
    if (tc.pipeline_text.empty() && tc.pipeline_file.empty())
      fail(root, "missing 'pipeline' (inline YAML) or 'pipeline_file'");

    const bool ordered = root["ordered"] ? boolean(root["ordered"], "ordered") : false;
    if (const YAML::Node batches = root["batches"]) {
      if (!batches.IsSequence()) fail(batches, "batches must be a list, one entry per micro-batch");
      for (const auto& entry : batches) tc.steps.push_back(step(entry, ordered));
    }
    if (const YAML::Node end = root["end"]) {
      check_keys(end, {"expect", "ordered"}, "end");
      tc.end = expectation(end["expect"], end["ordered"], ordered);
    }
    if (const YAML::Node error = root["expect_error"]) {
      check_keys(error, {"exit", "message"}, "expect_error");
      if (!error["exit"]) fail(error, "expect_error needs 'exit' (e.g. 78 for a config error)");
      ExpectedError expected;
      expected.exit = static_cast<int>(integer(error["exit"], "expect_error.exit"));
      if (error["message"]) expected.messages = strings(error["message"], "expect_error.message");
      tc.expect_error = expected;
    }
    return tc;
  }

 private:
  std::string resolve(const std::string& path) const {
    if (path.empty() || path[0] == '/') return path;
    const size_t slash = file_.rfind('/');
    return slash == std::string::npos ? path : file_.substr(0, slash + 1) + path;
  }

  std::string file_;
};

}  // namespace

Rows parse_rows_text(const std::string& json_lines, const std::string& where) {
  Rows out;
  std::istringstream lines(json_lines);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!value.is_object())
      throw Error(ErrorKind::Config, where + ": expected row " + std::to_string(n) + " is not a JSON object: " + line);
    out.push_back(std::move(value));
  }
  return out;
}

TestCase parse_test_case(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Config, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  CaseReader reader(file);
  if (!root.IsMap()) throw Error(ErrorKind::Config, file + ": a test case must be a YAML map");
  return reader.parse(root);
}

TestCase load_test_case(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::NoInput, file + ": cannot open test case");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_test_case(text.str(), file);
}

}  // namespace runnel::testcase
