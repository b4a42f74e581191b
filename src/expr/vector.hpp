// Column-at-a-time building blocks shared by the expression kernels:
// dispatch on physical type, operand accessors that let one loop body serve
// column/column and column/literal cases, null-mask combination 64 rows at a
// time, and literal <-> column conversion.
#pragma once
#include <string_view>
#include <type_traits>

#include "base/error.hpp"
#include "batch/column.hpp"
#include "functions/function.hpp"

namespace runnel::expr {

// Calls f(T{}) with T the physical C++ type of columns of type `id`
// (uint8_t, int32_t, int64_t, float, double, std::string_view).
template <class F>
decltype(auto) visit_physical(TypeId id, F&& f) {
  switch (id) {
    case TypeId::Boolean: return f(uint8_t{});
    case TypeId::Int:
    case TypeId::Date: return f(int32_t{});
    case TypeId::Long:
    case TypeId::Timestamp: return f(int64_t{});
    case TypeId::Float: return f(float{});
    case TypeId::Double: return f(double{});
    case TypeId::String:
    case TypeId::Binary: return f(std::string_view{});
    default: fail(ErrorKind::Internal, "internal error: no flat kernel for type " + DataType::of(id).to_string());
  }
}

// Values of a column, read by row index.
template <class T>
struct ColumnValues {
  const T* values;
  T operator[](size_t i) const { return values[i]; }
};
// One constant standing for every row (a literal operand is never broadcast).
template <class T>
struct ScalarValue {
  T value;
  T operator[](size_t) const { return value; }
};

// A fresh column of `rows` rows, all valid, values zeroed.
ColumnRef new_column(const DataType& type, size_t rows);

// out's validity &= in's validity (no-op when `in` has no nulls). out must
// have the same length as in.
void and_validity(Column& out, const Column& in);
// Copies in's validity into out (same length).
void copy_validity(Column& out, const Column& in);

// The literal's value in physical type T (the literal has the column type).
template <class T>
T literal_value(const fn::Literal& lit) {
  if constexpr (std::is_same_v<T, std::string_view>) return lit.s;
  else if constexpr (std::is_same_v<T, uint8_t>) return lit.b ? 1 : 0;
  else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(lit.d);
  else return static_cast<T>(lit.i);
}

// A column of `rows` copies of the literal (strings share one arena copy).
ColumnRef broadcast(const fn::Literal& lit, size_t rows);
// Row `row` of a flat column as a literal (for constant folding).
fn::Literal literal_at(const Column& column, size_t row);

}  // namespace runnel::expr
