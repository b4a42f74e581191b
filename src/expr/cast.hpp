// CAST with Spark 3.5's non-ANSI semantics (spark.sql.ansi.enabled=false): a
// value that cannot be converted becomes NULL instead of failing the query.
//   string -> int/bigint: trimmed, optional sign, digits, an optional fraction
//     that is dropped ('1.9' -> 1); overflow or anything else ('1e3') -> NULL
//   string -> double/float: Java's Double.parseDouble ('1e3', ' 1.5 ', '1d',
//     'NaN', 'Infinity', 'inf'); string -> boolean: t/true/y/yes/1, f/false/n/no/0
//   string -> date/timestamp: types/timestamp.hpp's parsers (UTC)
//   double -> int/bigint: truncation toward zero, saturating, NaN -> 0 (Java's
//     (int) d); bigint -> int wraps (Java's (int) l)
//   timestamp <-> bigint: seconds since the epoch (floor); timestamp -> double: seconds
//   int/bigint -> timestamp: seconds; double -> timestamp: seconds, NaN/Inf -> NULL
//   date -> numeric/boolean: NULL (Spark non-ANSI); numeric -> date: not allowed
//   anything -> string: Java's number formatting (1.0, 1.0E10), timestamps as
//     "yyyy-MM-dd HH:mm:ss[.ffffff]", arrays "[1, 2, null]", structs "{1, a}"
#pragma once
#include "batch/column.hpp"

namespace runnel::expr {

// Whether CAST(from AS to) is allowed at all (checked at bind time).
bool can_cast(const DataType& from, const DataType& to);

// Casts every row of `input` to `to` (returns `input` itself when the type is
// already `to`). REQUIRES: can_cast(input->type(), to).
ColumnRef cast_column(const ColumnRef& input, const DataType& to);

}  // namespace runnel::expr
