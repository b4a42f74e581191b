// Option tables: each source and sink type declares its options once, as data.
// The table drives YAML validation (unknown keys, types, required), `--help`
// output, the man page and the JSON Schema, so they cannot drift apart.
#pragma once
#include <string_view>
#include <vector>

#include "config/node.hpp"

namespace runnel::config {

enum class OptionType { String, Int, Double, Bool, Duration, Path, StringList, Schema, Choice, Any };

struct OptionSpec {
  std::string_view name;
  OptionType type;
  std::string_view help;
  std::string_view default_value = {};  // as shown in docs; "" = none
  bool required = false;
  std::vector<std::string_view> choices = {};  // for Choice
};

using OptionTable = std::vector<OptionSpec>;

// Checks every key of `node` against `tables` (concatenated) plus `extra_keys`:
// unknown keys, missing required ones, and the shape of each value.
void validate_options(const Node& node, const std::vector<const OptionTable*>& tables,
                      const std::vector<std::string_view>& extra_keys);

// Human-readable type name of an option ("duration", "list of strings", "one of a|b").
std::string option_type_name(const OptionSpec& spec);

}  // namespace runnel::config
