// get_json_object(json, path): Spark's JSONPath subset ($, .name, ['name'],
// [n], [*]) evaluated as Spark's GetJsonObject does, over a simdjson DOM.
// A string result is returned unquoted; objects, arrays and numbers are
// written as compact JSON the way Jackson writes them (doubles as Java's
// Double.toString). NULL for invalid JSON, an invalid path, a missing field,
// or a field whose value is JSON null.
//
// Known differences from Spark (Jackson is lenient where simdjson is not):
// single-quoted JSON strings and trailing garbage after the value make the
// whole document invalid here.
#include <simdjson.h>

#include <span>

#include "functions/kernel.hpp"
#include "types/number_format.hpp"

namespace runnel::fn {

namespace {

// Spark's PathInstruction, kept as a flat list so evaluation mirrors Spark's cases.
struct PathStep {
  enum Kind { Subscript, Wildcard, Key, Index, Named };
  PathStep(Kind k, uint64_t i = 0, std::string n = {}) : kind(k), index(i), name(std::move(n)) {}  // NOLINT
  Kind kind;
  uint64_t index;
  std::string name;
};
using JsonPath = std::vector<PathStep>;

// Parses "$" followed by .name, ['name'], [n], [*], .* or ['*']; nullopt when invalid.
std::optional<JsonPath> parse_json_path(std::string_view p) {
  if (p.empty() || p[0] != '$') return std::nullopt;
  JsonPath path;
  size_t i = 1;
  while (i < p.size()) {
    std::string_view rest = p.substr(i);
    if (rest.starts_with(".*") || rest.starts_with("['*']")) {
      path.push_back({PathStep::Wildcard});
      i += rest[0] == '.' ? 2 : 5;
    } else if (rest[0] == '.') {
      size_t end = rest.find_first_of(".[", 1);
      if (end == 1) return std::nullopt;
      end = end == std::string_view::npos ? rest.size() : end;
      path.push_back({PathStep::Key});
      path.push_back({PathStep::Named, 0, std::string(rest.substr(1, end - 1))});
      i += end;
    } else if (rest.starts_with("['")) {
      size_t end = rest.find_first_of("'?", 2);
      if (end == 2 || end == std::string_view::npos || !rest.substr(end).starts_with("']"))
        return std::nullopt;
      path.push_back({PathStep::Key});
      path.push_back({PathStep::Named, 0, std::string(rest.substr(2, end - 2))});
      i += end + 2;
    } else if (rest.starts_with("[*]")) {
      path.push_back({PathStep::Subscript});
      path.push_back({PathStep::Wildcard});
      i += 3;
    } else if (rest[0] == '[') {
      size_t end = 1;
      uint64_t index = 0;
      while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') {
        if (index > (UINT64_MAX - 9) / 10) return std::nullopt;
        index = index * 10 + (rest[end++] - '0');
      }
      if (end == 1 || end == rest.size() || rest[end] != ']') return std::nullopt;
      path.push_back({PathStep::Subscript});
      path.push_back({PathStep::Index, index});
      i += end + 1;
    } else {
      return std::nullopt;
    }
  }
  return path;
}

// Compact JSON text with commas placed as a Jackson generator places them.
class JsonWriter {
 public:
  std::string text;

  void raw(std::string_view s) { text += s; }  // top-level unquoted string: no separator
  void raw_value(std::string_view s) {
    separate();
    text += s;
  }
  void start_array() {
    separate();
    text += '[';
    counts_.push_back(0);
  }
  void end_array() {
    counts_.pop_back();
    text += ']';
  }
  void value(simdjson::dom::element e) {
    separate();
    write_element(e);
  }

 private:
  void separate() {
    if (!counts_.empty() && counts_.back()++ > 0) text += ',';
  }
  void write_string(std::string_view s) {
    static const char* kHex = "0123456789abcdef";
    text += '"';
    for (char c : s) {
      switch (c) {
        case '"':
          text += "\\\"";
          break;
        case '\\':
          text += "\\\\";
          break;
        case '\n':
          text += "\\n";
          break;
        case '\t':
          text += "\\t";
          break;
        case '\r':
          text += "\\r";
          break;
        case '\b':
          text += "\\b";
          break;
        case '\f':
          text += "\\f";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            text += "\\u00";
            text += kHex[c >> 4];
            text += kHex[c & 15];
          } else {
            text += c;
          }
      }
    }
    text += '"';
  }
  void write_element(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
      case element_type::ARRAY: {
        text += '[';
        bool first = true;
        simdjson::dom::array array = e.get_array().value_unsafe();
        for (simdjson::dom::element child : array) {
          if (!first) text += ',';
          first = false;
          write_element(child);
        }
        text += ']';
        break;
      }
      case element_type::OBJECT: {
        text += '{';
        bool first = true;
        simdjson::dom::object object = e.get_object().value_unsafe();
        for (simdjson::dom::key_value_pair field : object) {
          if (!first) text += ',';
          first = false;
          write_string(field.key);
          text += ':';
          write_element(field.value);
        }
        text += '}';
        break;
      }
      case element_type::INT64:
        format_int(e.get_int64().value_unsafe(), text);
        break;
      case element_type::UINT64:
        text += std::to_string(e.get_uint64().value_unsafe());
        break;
      case element_type::DOUBLE:
        format_double(e.get_double().value_unsafe(), text);
        break;
      case element_type::STRING:
        write_string(e.get_string().value_unsafe());
        break;
      case element_type::BOOL:
        text += e.get_bool().value_unsafe() ? "true" : "false";
        break;
      case element_type::NULL_VALUE:
        text += "null";
        break;
    }
  }
  std::vector<int> counts_;
};

enum class Style { Raw, Quoted, Flatten };

using Steps = std::span<const PathStep>;

bool is(Steps path, std::initializer_list<PathStep::Kind> kinds) {
  if (path.size() < kinds.size()) return false;
  size_t k = 0;
  for (PathStep::Kind kind : kinds)
    if (path[k++].kind != kind) return false;
  return true;
}

// Spark's evaluatePath: writes the matches of `path` under `e` to `out`;
// true when anything was written.
bool evaluate(simdjson::dom::element e, Steps path, Style style, JsonWriter& out) {
  using simdjson::dom::element_type;
  const bool is_array = e.type() == element_type::ARRAY;
  if (path.empty()) {
    if (e.type() == element_type::STRING && style == Style::Raw) {
      out.raw(e.get_string().value_unsafe());
      return true;
    }
    if (is_array && style == Style::Flatten) {
      bool dirty = false;
      simdjson::dom::array array = e.get_array().value_unsafe();
      for (simdjson::dom::element child : array) dirty |= evaluate(child, path, style, out);
      return dirty;
    }
    out.value(e);
    return true;
  }
  if (is(path, {PathStep::Key, PathStep::Named})) {
    if (e.type() != element_type::OBJECT) return false;
    simdjson::dom::object object = e.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair field : object) {
      if (field.key != path[1].name) continue;
      // The first field of that name decides; a JSON null is no match.
      if (field.value.type() == element_type::NULL_VALUE) return false;
      return evaluate(field.value, path.subspan(2), style, out);
    }
    return false;
  }
  if (!is_array) return false;
  simdjson::dom::array array = e.get_array().value_unsafe();
  if (is(path, {PathStep::Subscript, PathStep::Wildcard, PathStep::Subscript, PathStep::Wildcard})) {
    // Hive's non-structure-preserving double wildcard: one flat array.
    out.start_array();
    bool dirty = false;
    for (simdjson::dom::element child : array) dirty |= evaluate(child, path.subspan(4), Style::Flatten, out);
    out.end_array();
    return dirty;
  }
  if (is(path, {PathStep::Subscript, PathStep::Wildcard}) && style != Style::Quoted) {
    // Matches are collected; a single one is emitted without the array, as Hive does.
    JsonWriter buffer;
    buffer.start_array();
    int matches = 0;
    Style inner = style == Style::Raw ? Style::Quoted : Style::Flatten;
    for (simdjson::dom::element child : array) matches += evaluate(child, path.subspan(2), inner, buffer);
    buffer.end_array();
    if (matches > 1) out.raw_value(buffer.text);
    if (matches == 1) out.raw_value(std::string_view(buffer.text).substr(1, buffer.text.size() - 2));
    return matches > 0;
  }
  if (is(path, {PathStep::Subscript, PathStep::Wildcard})) {
    out.start_array();
    bool dirty = false;
    for (simdjson::dom::element child : array) dirty |= evaluate(child, path.subspan(2), Style::Quoted, out);
    out.end_array();
    return dirty;
  }
  if (is(path, {PathStep::Subscript, PathStep::Index})) {
    if (path[1].index >= array.size()) return false;
    Steps rest = path.subspan(2);
    Style next = is(rest, {PathStep::Subscript, PathStep::Wildcard}) ? Style::Quoted : style;
    return evaluate(array.at(path[1].index).value_unsafe(), rest, next, out);
  }
  return false;
}

// One kernel call's state: the DOM parser is reused across rows, and a
// non-literal path is parsed once per distinct value.
struct JsonExtractor {
  explicit JsonExtractor(const std::optional<JsonPath>* literal_path) : fixed(literal_path) {}
  const std::optional<JsonPath>* fixed;
  simdjson::dom::parser parser;
  std::string path_text;
  std::optional<JsonPath> row_path;
  JsonWriter writer;

  bool operator()(StringOut& out, std::string_view json, std::string_view path_arg) {
    const std::optional<JsonPath>* path = fixed;
    if (!path) {
      if (!row_path || path_arg != path_text) {
        path_text = std::string(path_arg);
        row_path = parse_json_path(path_arg);
      }
      path = &row_path;
    }
    if (!path->has_value()) return false;
    simdjson::dom::element root;
    if (parser.parse(json.data() ? json.data() : "", json.size()).get(root) != simdjson::SUCCESS)
      return false;
    writer.text.clear();
    if (!evaluate(root, **path, Style::Raw, writer)) return false;
    out.copy(writer.text);
    return true;
  }
};

}  // namespace

Signature bind_get_json_object(const std::vector<Arg>& args) {
  expect_arg_count("get_json_object", args, 2, 2);
  // A literal path is parsed once; an invalid literal path makes every row NULL, as in Spark.
  std::shared_ptr<const std::optional<JsonPath>> fixed;
  if (const std::string* path = literal_string(args[1]))
    fixed = std::make_shared<const std::optional<JsonPath>>(parse_json_path(*path));
  DataType string = DataType::of(TypeId::String);
  Kernel kernel = [fixed, string](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    JsonExtractor extract(fixed.get());
    return map_rows<StringT, StringT, StringT>(string, cols, rows, extract);
  };
  return Signature{{string, string}, string, std::move(kernel)};
}

}  // namespace runnel::fn
