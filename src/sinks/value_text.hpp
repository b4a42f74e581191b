// Values as text the way Spark shows them (its ToPrettyString, used by
// Dataset.show and so by the console sink): CAST-to-string forms — doubles as
// Java prints them, timestamps "2024-01-02 10:11:12[.fraction]" in UTC —
// with NULL for nulls (also inside structs and arrays), binary as hex
// "[1A C0]", structs "{a, b}" and arrays "[a, b]".
#pragma once
#include <string>

#include "batch/column.hpp"

namespace runnel {

inline constexpr std::string_view kNullText = "NULL";

// Appends the text of row `row` of `column`.
void append_value_text(const Column& column, size_t row, std::string& out);

}  // namespace runnel
