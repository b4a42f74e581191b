// config::Node — one value of the loaded pipeline file, with the position it
// came from, so that every config error names file, line and column and the
// dotted path of the value (contract: "Every config error names the file,
// line and column and what was expected").
//
// Scalars are returned after ${VAR} / ${VAR:-default} substitution from the
// environment; an unset variable without a default is a config error.
// All errors are thrown as Error(ErrorKind::Config).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace runnel::config {

class Node {
 public:
  Node() = default;
  // `file` is the pipeline file's path as given; `path` the dotted path ("" = root).
  Node(YAML::Node node, std::shared_ptr<const std::string> file, std::string path);

  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_seq() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }

  const std::string& path() const { return path_; }
  // "pipeline.yaml:12:5" (1-based line and column); for a value that has no
  // position (it came from --set) "--set <path>".
  std::string where() const;
  // Throws Error(Config): "<where>: <path>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  // Typed scalar access; a value of the wrong shape fails naming what was expected.
  std::string str() const;
  int64_t integer() const;
  double number() const;
  bool boolean() const;
  // A duration ("10 minutes", "5s", "250 ms", a bare number means seconds) in microseconds.
  int64_t duration_us() const;
  // A size in bytes: an integer, or "<n> <unit>" with b, k/kb/kib, m/mb/mib, g/gb/gib (all
  // binary multiples, as Spark's byte strings).
  int64_t bytes() const;
  // One of `choices` (case-insensitive); fails listing them otherwise. Returns the choice as listed.
  std::string choice(std::initializer_list<std::string_view> choices) const;
  std::string choice(const std::vector<std::string_view>& choices) const;

  // Children. operator[] on a missing key gives an undefined Node whose
  // path and position are the parent's, so fail() still points somewhere useful.
  Node operator[](std::string_view key) const;
  std::vector<std::pair<std::string, Node>> entries() const;  // map, in file order; fails if not a map
  std::vector<Node> items() const;                             // sequence; fails if not a sequence
  // A list of strings; a single scalar is taken as a one-element list.
  std::vector<std::string> strings() const;
  // Fails on the first key not in `allowed`, naming it and listing the allowed ones.
  void check_keys(const std::vector<std::string_view>& allowed) const;
  // Fails at `key` (a key of this map): "unknown key 'k' (did you mean ...); allowed: ...".
  [[noreturn]] void fail_unknown_key(const std::string& key, const std::vector<std::string_view>& allowed) const;
  // Fails if `key` is missing: "missing required field '<key>'".
  Node required(std::string_view key) const;
  // The key itself (not its value), for errors about a name ("duplicate name").
  // Undefined-at-the-parent when the key is missing.
  Node key(std::string_view key) const;

  const YAML::Node& yaml() const { return node_; }

 private:
  Node(YAML::Node node, std::shared_ptr<const std::string> file, std::string path, YAML::Mark mark);
  Node child(const YAML::Node& value, std::string path) const;
  std::string child_path(std::string_view key) const;
  std::string found() const;  // what the value is, for "expected X, got Y"

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  YAML::Mark mark_ = YAML::Mark::null_mark();  // the parent's for a missing key
};

// "did you mean 'x'?" helper: the closest of `candidates` to `word` when it is
// a near miss (small edit distance), else "".
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

// Parses a duration string: "<n> <unit>" or "<n><unit>", units ms, s/second(s),
// m/minute(s), h/hour(s), d/day(s); n may be a decimal. Returns microseconds,
// or nullopt-equivalent -1 when the text is not a duration.
int64_t parse_duration_us(std::string_view text);

// Replaces ${VAR} and ${VAR:-default}; `$$` is a literal `$`. Calls
// `on_unset(name)` (which must throw) for an unset variable without a default.
std::string substitute_env(std::string_view text, const std::function<void(const std::string&)>& on_unset);

}  // namespace runnel::config
