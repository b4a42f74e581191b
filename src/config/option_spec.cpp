// validate_options: checks a connector's map against its option tables.
#include "config/option_spec.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace runnel::config {

namespace {

// An option named "kafka.*" stands for every key starting with "kafka.".
bool matches(std::string_view option, std::string_view key) {
  if (option.size() >= 2 && option.substr(option.size() - 2) == ".*")
    return key.size() > option.size() - 1 && key.substr(0, option.size() - 1) == option.substr(0, option.size() - 1);
  return option == key;
}

void check_value(const OptionSpec& spec, const Node& value) {
  switch (spec.type) {
    case OptionType::String: (void)value.str(); break;
    case OptionType::Int: (void)value.integer(); break;
    case OptionType::Double: (void)value.number(); break;
    case OptionType::Bool: (void)value.boolean(); break;
    case OptionType::Duration: (void)value.duration_us(); break;
    case OptionType::Path:
      if (value.str().empty()) value.fail("expected a path, got an empty string");
      break;
    case OptionType::StringList: (void)value.strings(); break;
    case OptionType::Schema:
      // A map {name: type} or a DDL string "name TYPE, ..."; the types
      // themselves are checked by the schema parser.
      if (value.is_map()) {
        for (const auto& [name, type] : value.entries()) (void)type.str();
      } else if (!value.is_scalar()) {
        value.fail("expected a schema: a map {name: type} or a string \"name TYPE, ...\"");
      } else {
        (void)value.str();
      }
      break;
    case OptionType::Choice: (void)value.choice(spec.choices); break;
    case OptionType::Any: break;
  }
}

}  // namespace

void validate_options(const Node& node, const std::vector<const OptionTable*>& tables,
                      const std::vector<std::string_view>& extra_keys) {
  std::vector<std::string_view> allowed = extra_keys;
  for (const OptionTable* table : tables)
    for (const OptionSpec& spec : *table) allowed.push_back(spec.name);

  for (const auto& [key, value] : node.entries()) {
    if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end()) continue;
    const OptionSpec* spec = nullptr;
    for (const OptionTable* table : tables)
      for (const OptionSpec& s : *table)
        if (!spec && matches(s.name, key)) spec = &s;
    if (!spec) node.fail_unknown_key(key, allowed);
    if (spec && value.defined()) check_value(*spec, value);
    if (spec && !value.defined() && spec->type != OptionType::Any)
      value.fail("option '" + key + "' has no value (expected " + option_type_name(*spec) + ")");
  }
  for (const OptionTable* table : tables)
    for (const OptionSpec& spec : *table)
      if (spec.required && !node[spec.name].defined())
        node.fail("missing required option '" + std::string(spec.name) + "' (" + std::string(spec.help) + ")");
}

std::string option_type_name(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::String: return "string";
    case OptionType::Int: return "integer";
    case OptionType::Double: return "number";
    case OptionType::Bool: return "boolean";
    case OptionType::Duration: return "duration";
    case OptionType::Path: return "path";
    case OptionType::StringList: return "list of strings";
    case OptionType::Schema: return "schema";
    case OptionType::Choice: {
      std::string out = "one of ";
      for (size_t i = 0; i < spec.choices.size(); ++i) out += (i ? "|" : "") + std::string(spec.choices[i]);
      return out;
    }
    case OptionType::Any: return "any value";
  }
  return "";
}

}  // namespace runnel::config
