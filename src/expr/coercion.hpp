// Spark's implicit type coercion (TypeCoercion, non-ANSI), shared by the
// binder and by scalar functions that unify their arguments' types
// (coalesce, greatest, least, if, nullif).
#pragma once
#include <optional>
#include <vector>

#include "types/data_type.hpp"

namespace runnel::expr {

// Spark's findWiderCommonType: the type all of `types` can be implicitly cast
// to, or nullopt. NULL goes to anything; numbers widen int < bigint < float <
// double; date + timestamp -> timestamp; a string with any other atomic type
// except binary/boolean -> string; arrays unify element-wise. An empty list
// gives the NULL type.
std::optional<DataType> common_type(const std::vector<DataType>& types);
std::optional<DataType> common_type(const DataType& a, const DataType& b);

// Spark's findCommonTypeForBinaryComparison, for = < > ...: numbers widen;
// string vs date -> date, string vs timestamp -> timestamp, string vs another
// atomic type -> that type (so `s = 1` compares as int); date vs timestamp ->
// timestamp. nullopt when the two cannot be compared.
std::optional<DataType> comparison_type(const DataType& a, const DataType& b);

// Spark's ImplicitTypeCasts.implicitCast: may a value of `from` be passed
// where `to` is expected (function arguments)? NULL -> any; number <-> number;
// string -> number, date, timestamp, binary; any atomic -> string;
// date <-> timestamp; arrays element-wise.
bool can_implicitly_cast(const DataType& from, const DataType& to);

}  // namespace runnel::expr
