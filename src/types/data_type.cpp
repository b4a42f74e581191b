#include "types/data_type.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "base/error.hpp"

namespace runnel {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits at top-level commas (not inside <...> or backticks).
std::vector<std::string_view> split_top_level(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '`') quoted = !quoted;
    if (quoted) continue;
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

// "name TYPE" or "name: TYPE" -> (name, type text); backticks strip.
bool split_name_type(std::string_view field, std::string& name, std::string_view& type) {
  field = trim(field);
  size_t end;
  if (!field.empty() && field[0] == '`') {
    end = field.find('`', 1);
    if (end == std::string_view::npos) return false;
    name = std::string(field.substr(1, end - 1));
    ++end;
  } else {
    end = 0;
    while (end < field.size() && !std::isspace(static_cast<unsigned char>(field[end])) && field[end] != ':') ++end;
    name = std::string(field.substr(0, end));
  }
  std::string_view rest = trim(field.substr(end));
  if (!rest.empty() && rest[0] == ':') rest = trim(rest.substr(1));
  type = rest;
  return !name.empty() && !type.empty();
}

}  // namespace

DataType DataType::of(TypeId id) {
  DataType t;
  t.id = id;
  return t;
}

DataType DataType::array_of(DataType element) {
  DataType t = of(TypeId::Array);
  t.element = std::make_shared<const DataType>(std::move(element));
  return t;
}

DataType DataType::struct_of(std::vector<Field> fields) {
  DataType t = of(TypeId::Struct);
  t.fields = std::move(fields);
  return t;
}

bool DataType::is_numeric() const {
  return id == TypeId::Int || id == TypeId::Long || id == TypeId::Float || id == TypeId::Double;
}
bool DataType::is_integral() const { return id == TypeId::Int || id == TypeId::Long; }

bool DataType::operator==(const DataType& other) const {
  if (id != other.id) return false;
  if (id == TypeId::Array) return *element == *other.element;
  if (id == TypeId::Struct) return fields == other.fields;
  return true;
}

std::string DataType::to_string() const {
  switch (id) {
    case TypeId::Null: return "void";
    case TypeId::Boolean: return "boolean";
    case TypeId::Int: return "int";
    case TypeId::Long: return "bigint";
    case TypeId::Float: return "float";
    case TypeId::Double: return "double";
    case TypeId::String: return "string";
    case TypeId::Binary: return "binary";
    case TypeId::Timestamp: return "timestamp";
    case TypeId::Date: return "date";
    case TypeId::Array: return "array<" + element->to_string() + ">";
    case TypeId::Struct: {
      std::string s = "struct<";
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += ",";
        s += fields[i].name + ":" + fields[i].type.to_string();
      }
      return s + ">";
    }
  }
  return "?";
}

std::optional<size_t> Schema::find(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (iequals(fields[i].name, name)) return i;
  return std::nullopt;
}

std::string Schema::to_string() const {
  std::string s;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s += ", ";
    s += fields[i].name + ": " + fields[i].type.to_string();
  }
  return s;
}

std::optional<DataType> parse_type_name(std::string_view text) {
  text = trim(text);
  static const std::pair<std::string_view, TypeId> kNames[] = {
      {"boolean", TypeId::Boolean}, {"bool", TypeId::Boolean},     {"int", TypeId::Int},
      {"integer", TypeId::Int},     {"long", TypeId::Long},        {"bigint", TypeId::Long},
      {"float", TypeId::Float},     {"real", TypeId::Float},       {"double", TypeId::Double},
      {"string", TypeId::String},   {"timestamp", TypeId::Timestamp}, {"date", TypeId::Date},
      {"binary", TypeId::Binary},
  };
  for (auto& [name, id] : kNames)
    if (iequals(text, name)) return DataType::of(id);
  auto open = text.find('<');
  if (open == std::string_view::npos || text.back() != '>') return std::nullopt;
  std::string_view head = trim(text.substr(0, open));
  std::string_view inner = text.substr(open + 1, text.size() - open - 2);
  if (iequals(head, "array")) {
    auto element = parse_type_name(inner);
    if (!element) return std::nullopt;
    return DataType::array_of(*element);
  }
  if (iequals(head, "struct")) {
    std::vector<Field> fields;
    for (auto part : split_top_level(inner)) {
      std::string name;
      std::string_view type_text;
      if (!split_name_type(part, name, type_text)) return std::nullopt;
      auto type = parse_type_name(type_text);
      if (!type) return std::nullopt;
      fields.push_back({name, *type});
    }
    return DataType::struct_of(std::move(fields));
  }
  return std::nullopt;
}

Schema parse_ddl_schema(std::string_view ddl, const std::string& where) {
  Schema schema;
  if (trim(ddl).empty()) fail(ErrorKind::Config, where + ": empty schema");
  for (auto part : split_top_level(ddl)) {
    std::string name;
    std::string_view type_text;
    if (!split_name_type(part, name, type_text))
      fail(ErrorKind::Config, where + ": expected 'name TYPE' in schema, got '" + std::string(trim(part)) + "'");
    auto type = parse_type_name(type_text);
    if (!type)
      fail(ErrorKind::Config, where + ": unknown type '" + std::string(type_text) + "' for column '" + name +
                                  "' (expected boolean, int, long, float, double, string, timestamp, date, "
                                  "binary, array<T> or struct<...>)");
    if (schema.find(name)) fail(ErrorKind::Config, where + ": column '" + name + "' is declared twice");
    schema.fields.push_back({name, *type});
  }
  return schema;
}

size_t physical_width(TypeId id) {
  switch (id) {
    case TypeId::Boolean: return 1;
    case TypeId::Int:
    case TypeId::Date: return 4;
    case TypeId::Long:
    case TypeId::Timestamp: return 8;
    case TypeId::Float: return 4;
    case TypeId::Double: return 8;
    case TypeId::String:
    case TypeId::Binary: return sizeof(std::string_view);
    case TypeId::Array: return 4;
    case TypeId::Null:
    case TypeId::Struct: return 0;
  }
  return 0;
}

}  // namespace runnel
