#include "testcase/row_diff.hpp"

#include <algorithm>

namespace runnel::testcase {
namespace {

bool is_float(const nlohmann::json& v) { return v.is_number_float(); }

// Sort key for printing rows: dump() sorts keys (nlohmann objects are ordered
// maps) and prints 2 and 2.0 differently.
std::string canonical(const nlohmann::json& row) { return row.dump(); }

void append_rows(std::string& out, const char* label, const Rows& rows) {
  out += "    ";
  out += label;
  if (rows.empty()) out += " (none)\n";
  else out += "\n";
  for (const auto& row : rows) out += "      " + row.dump() + "\n";
}

}  // namespace

bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return is_float(a) == is_float(b) && a == b;
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !same_value(it.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

std::string diff_rows(const Rows& expected, const Rows& actual, bool ordered) {
  if (ordered) {
    size_t i = 0;
    while (i < expected.size() && i < actual.size() && same_value(expected[i], actual[i])) ++i;
    if (i == expected.size() && i == actual.size()) return "";
    std::string out = "    rows differ from position " + std::to_string(i) + " (ordered)\n";
    append_rows(out, "expected:", expected);
    append_rows(out, "actual:", actual);
    return out;
  }
  // Multiset difference: take each actual row off the expected list once.
  // Quadratic, but test batches are small and same_value needs no hashing.
  std::vector<bool> matched(expected.size(), false);
  Rows unexpected;
  for (const auto& row : actual) {
    bool found = false;
    for (size_t i = 0; i < expected.size() && !found; ++i) {
      if (!matched[i] && same_value(expected[i], row)) matched[i] = found = true;
    }
    if (!found) unexpected.push_back(row);
  }
  Rows missing;
  for (size_t i = 0; i < expected.size(); ++i)
    if (!matched[i]) missing.push_back(expected[i]);
  if (missing.empty() && unexpected.empty()) return "";
  std::string out = "    " + std::to_string(missing.size()) + " missing, " + std::to_string(unexpected.size()) +
                    " unexpected (" + std::to_string(expected.size()) + " expected, " +
                    std::to_string(actual.size()) + " actual)\n";
  auto sorted = [](Rows rows) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return canonical(a) < canonical(b); });
    return rows;
  };
  append_rows(out, "missing:", sorted(missing));
  append_rows(out, "unexpected:", sorted(unexpected));
  return out;
}

}  // namespace runnel::testcase
