// Comparing a sink's rows with the expected ones, and saying how they differ.
// Rows are JSON values compared exactly, types included: 2 and 2.0 differ
// (an integer division that should give a double is a bug worth catching).
#pragma once
#include <string>

#include "testcase/test_case.hpp"

namespace runnel::testcase {

// JSON equality where an integer never equals a floating-point number.
bool same_value(const nlohmann::json& a, const nlohmann::json& b);

// "" when `actual` matches `expected` (as a multiset, or in order when
// `ordered`); otherwise a readable report of expected, actual, and the
// missing/unexpected rows (or the first differing position when ordered).
std::string diff_rows(const Rows& expected, const Rows& actual, bool ordered);

}  // namespace runnel::testcase
