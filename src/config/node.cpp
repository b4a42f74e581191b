// config::Node: positioned, typed access to the YAML tree (see node.hpp).
#include "config/node.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "base/error.hpp"

namespace runnel::config {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string_view>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions),
// so "wehre" is one edit from "where".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string match = closest_match(word, candidates);
  return match.empty() ? "" : " (did you mean '" + match + "'?)";
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Duration units in microseconds, by every spelling accepted (lower case).
// The contract's units plus Spark's interval spellings (us, milliseconds, weeks).
int64_t unit_us(std::string_view unit) {
  struct Unit {
    std::string_view name;
    int64_t us;
  };
  static constexpr Unit units[] = {
      {"us", 1},
      {"microsecond", 1},
      {"microseconds", 1},
      {"ms", 1000},
      {"millisecond", 1000},
      {"milliseconds", 1000},
      {"s", 1000000},
      {"sec", 1000000},
      {"secs", 1000000},
      {"second", 1000000},
      {"seconds", 1000000},
      {"m", 60 * 1000000LL},
      {"min", 60 * 1000000LL},
      {"mins", 60 * 1000000LL},
      {"minute", 60 * 1000000LL},
      {"minutes", 60 * 1000000LL},
      {"h", 3600 * 1000000LL},
      {"hour", 3600 * 1000000LL},
      {"hours", 3600 * 1000000LL},
      {"d", 86400 * 1000000LL},
      {"day", 86400 * 1000000LL},
      {"days", 86400 * 1000000LL},
      {"w", 7 * 86400 * 1000000LL},
      {"week", 7 * 86400 * 1000000LL},
      {"weeks", 7 * 86400 * 1000000LL},
  };
  std::string l = lower(unit);
  for (const Unit& u : units)
    if (u.name == l) return u.us;
  return -1;
}

// "<digits>[.<digits>]" or ".<digits>" times `unit` microseconds, truncated to
// whole microseconds; -1 when malformed or out of range.
int64_t scaled_number(std::string_view number, int64_t unit) {
  size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (whole.empty() && frac.empty()) return -1;
  __int128 value = 0;
  for (char c : whole) {
    value = value * 10 + (c - '0');
    if (value > std::numeric_limits<int64_t>::max()) return -1;
  }
  value *= unit;
  __int128 scale = 1, frac_value = 0;
  for (char c : frac.substr(0, 12)) {  // 12 digits is below a microsecond of a week
    frac_value = frac_value * 10 + (c - '0');
    scale *= 10;
  }
  value += frac_value * unit / scale;
  if (value > std::numeric_limits<int64_t>::max()) return -1;
  return static_cast<int64_t>(value);
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string w = lower(word);
  size_t best = std::numeric_limits<size_t>::max();
  std::string_view match;
  for (std::string_view c : candidates) {
    size_t d = edit_distance(w, lower(c));
    if (d < best) best = d, match = c;
  }
  // A near miss: at most two edits, and fewer edits than the word is long.
  if (best == 0 || best > 2 || best >= w.size()) return "";
  return std::string(match);
}

int64_t parse_duration_us(std::string_view text) {
  auto skip_space = [&](size_t i) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    return i;
  };
  size_t i = skip_space(0);
  // Spark's interval strings may start with "interval".
  if (lower(text.substr(i, 8)) == "interval" && i + 8 < text.size() &&
      std::isspace(static_cast<unsigned char>(text[i + 8])))
    i = skip_space(i + 8);
  __int128 total = 0;
  int terms = 0;
  bool bare = false;  // a number without a unit: seconds, and only alone
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::string_view number = text.substr(start, i - start);
    if (number.empty() || std::count(number.begin(), number.end(), '.') > 1) return -1;
    i = skip_space(i);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t scale = unit.empty() ? 1000000 : unit_us(unit);
    if (scale < 0) return -1;
    bare = bare || unit.empty();
    int64_t us = scaled_number(number, scale);
    if (us < 0) return -1;
    total += us;
    if (total > std::numeric_limits<int64_t>::max()) return -1;
    ++terms;
    i = skip_space(i);
  }
  if (terms == 0 || (bare && terms > 1)) return -1;
  return static_cast<int64_t>(total);
}

std::string substitute_env(std::string_view text, const std::function<void(const std::string&)>& on_unset) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {  // "$$" is a literal "$"
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {  // a lone "$" stays as written
      out += c;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      fail(ErrorKind::Config, "unterminated '${' (write '$$' for a literal '$')");
    std::string_view body = text.substr(i + 2, close - i - 2);
    size_t sep = body.find(":-");
    std::string name(body.substr(0, sep));
    if (name.empty() || !is_name_start(name[0]) || !std::all_of(name.begin(), name.end(), is_name_char))
      fail(ErrorKind::Config, "bad variable reference '${" + std::string(body) +
                                  "}': expected ${NAME} or ${NAME:-default}");
    const char* value = std::getenv(name.c_str());
    if (sep != std::string_view::npos && (value == nullptr || *value == '\0')) {
      out += body.substr(sep + 2);  // like the shell: the default also replaces an empty value
    } else if (value != nullptr) {
      out += value;
    } else {
      on_unset(name);
      fail(ErrorKind::Config, "environment variable '" + name + "' is not set");
    }
    i = close;
  }
  return out;
}

// ---------------------------------------------------------------------------

Node::Node(YAML::Node node, std::shared_ptr<const std::string> file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (node_.IsDefined()) mark_ = node_.Mark();
  // The root of an empty file (or one made by --set) has no position: its start.
  if (path_.empty() && mark_.is_null()) mark_ = YAML::Mark();
}

Node::Node(YAML::Node node, std::shared_ptr<const std::string> file, std::string path, YAML::Mark mark)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), mark_(mark) {}

Node Node::child(const YAML::Node& value, std::string path) const {
  return Node(value, file_, std::move(path), value.Mark());
}

std::string Node::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Node::where() const {
  if (mark_.is_null()) return "--set " + path_;
  return (file_ ? *file_ : std::string("<pipeline>")) + ":" + std::to_string(mark_.line + 1) + ":" +
         std::to_string(mark_.column + 1);
}

void Node::fail(const std::string& message) const {
  // A --set value's where() already names its path.
  if (mark_.is_null() || path_.empty()) runnel::fail(ErrorKind::Config, where() + ": " + message);
  runnel::fail(ErrorKind::Config, where() + ": " + path_ + ": " + message);
}

std::string Node::found() const {
  if (!node_.IsDefined()) return "nothing (the key is missing)";
  if (node_.IsNull()) return "nothing (null)";
  if (node_.IsMap()) return "a map";
  if (node_.IsSequence()) return "a list";
  return "'" + node_.Scalar() + "'";
}

std::string Node::str() const {
  if (!is_scalar()) fail("expected a string, got " + found());
  try {
    return substitute_env(node_.Scalar(), [](const std::string&) {});
  } catch (const Error& e) {
    fail(e.what());
  }
}

int64_t Node::integer() const {
  if (!is_scalar()) fail("expected an integer, got " + found());
  std::string text = str();
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) fail("integer out of range: '" + text + "'");
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    fail("expected an integer, got '" + text + "'");
  return value;
}

double Node::number() const {
  if (!is_scalar()) fail("expected a number, got " + found());
  std::string text = str();
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || !std::isfinite(value))
    fail("expected a number, got '" + text + "'");
  return value;
}

bool Node::boolean() const {
  if (!is_scalar()) fail("expected true or false, got " + found());
  std::string text = lower(str());
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail("expected true or false, got '" + str() + "'");
}

int64_t Node::duration_us() const {
  if (!is_scalar()) fail("expected a duration like '10 minutes', got " + found());
  std::string text = str();
  int64_t us = parse_duration_us(text);
  if (us < 0) fail("expected a duration like '10 minutes' or '5s', got '" + text + "'");
  return us;
}

int64_t Node::bytes() const {
  if (!is_scalar()) fail("expected a size like '256 MiB', got " + found());
  const std::string text = str();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const size_t at = text.find_first_not_of(' ', static_cast<size_t>(end - text.data()));
  const std::string unit = lower(at == std::string::npos ? std::string_view() : std::string_view(text).substr(at));
  static const std::pair<std::string_view, int> units[] = {
      {"", 0},  {"b", 0},   {"k", 10},  {"kb", 10}, {"kib", 10}, {"m", 20},
      {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}};
  for (auto& [name, shift] : units)
    if (ec == std::errc() && n >= 0 && unit == name && n <= (std::numeric_limits<int64_t>::max() >> shift))
      return n << shift;
  fail("expected a size like '256 MiB' or '1g', got '" + text + "'");
}

std::string Node::choice(std::initializer_list<std::string_view> choices) const {
  return choice(std::vector<std::string_view>(choices));
}

std::string Node::choice(const std::vector<std::string_view>& choices) const {
  std::string expected = "expected one of " + join(choices, "|");
  if (!is_scalar()) fail(expected + ", got " + found());
  std::string text = str();
  for (std::string_view c : choices)
    if (lower(c) == lower(text)) return std::string(c);
  fail(expected + ", got '" + text + "'" + did_you_mean(text, choices));
}

Node Node::operator[](std::string_view key) const {
  if (is_map()) {
    for (const auto& kv : node_)
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return child(kv.second, child_path(key));
  }
  return Node(YAML::Node(YAML::NodeType::Undefined), file_, child_path(key), mark_);
}

Node Node::key(std::string_view key) const {
  if (is_map()) {
    for (const auto& kv : node_)
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return child(kv.first, child_path(key));
  }
  return Node(YAML::Node(YAML::NodeType::Undefined), file_, child_path(key), mark_);
}

std::vector<std::pair<std::string, Node>> Node::entries() const {
  if (!is_map()) fail("expected a map, got " + found());
  std::vector<std::pair<std::string, Node>> out;
  for (const auto& kv : node_) {
    Node key_node = child(kv.first, path_);
    if (!kv.first.IsScalar()) key_node.fail("expected a plain key, got " + key_node.found());
    const std::string& key = kv.first.Scalar();
    for (const auto& seen : out)
      if (seen.first == key)
        child(kv.first, child_path(key)).fail("duplicate key '" + key + "' (first at " + seen.second.where() + ")");
    out.emplace_back(key, child(kv.second, child_path(key)));
  }
  return out;
}

std::vector<Node> Node::items() const {
  if (!is_seq()) fail("expected a list, got " + found());
  std::vector<Node> out;
  out.reserve(node_.size());
  for (size_t i = 0; i < node_.size(); ++i)
    out.push_back(child(node_[i], path_ + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<std::string> Node::strings() const {
  if (is_scalar()) return {str()};
  if (!is_seq()) fail("expected a list of strings, got " + found());
  std::vector<std::string> out;
  for (const Node& item : items()) out.push_back(item.str());
  return out;
}

void Node::check_keys(const std::vector<std::string_view>& allowed) const {
  for (const auto& [key, value] : entries()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) fail_unknown_key(key, allowed);
  }
}

void Node::fail_unknown_key(const std::string& key, const std::vector<std::string_view>& allowed) const {
  this->key(key).fail("unknown key '" + key + "'" + did_you_mean(key, allowed) + "; allowed: " + join(allowed, ", "));
}

Node Node::required(std::string_view key) const {
  if (!is_map()) fail("expected a map, got " + found());
  Node value = (*this)[key];
  if (!value.node_.IsDefined()) fail("missing required field '" + std::string(key) + "'");
  if (value.node_.IsNull()) value.fail("required field '" + std::string(key) + "' has no value");
  return value;
}

}  // namespace runnel::config
