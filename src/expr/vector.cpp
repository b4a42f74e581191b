#include "expr/vector.hpp"

namespace runnel::expr {

ColumnRef new_column(const DataType& type, size_t rows) {
  auto c = Column::make(type, rows);
  c->resize(rows);
  return c;
}

void and_validity(Column& out, const Column& in) {
  if (in.all_valid()) return;
  size_t words = (out.size() + 63) / 64;
  uint64_t* dst = out.mutable_validity_words();
  const uint64_t* src = in.validity_words();
  for (size_t w = 0; w < words; ++w) dst[w] &= src[w];
}

void copy_validity(Column& out, const Column& in) {
  if (in.all_valid()) return;
  size_t words = (out.size() + 63) / 64;
  uint64_t* dst = out.mutable_validity_words();
  const uint64_t* src = in.validity_words();
  for (size_t w = 0; w < words; ++w) dst[w] = src[w];
}

ColumnRef broadcast(const fn::Literal& lit, size_t rows) {
  if (lit.is_null || lit.type.id == TypeId::Null) return Column::nulls(lit.type, rows);
  auto out = new_column(lit.type, rows);
  visit_physical(lit.type.id, [&](auto zero) {
    using T = decltype(zero);
    T value = literal_value<T>(lit);
    if constexpr (std::is_same_v<T, std::string_view>) value = out->arena().copy(value);
    T* dst = out->data<T>();
    for (size_t i = 0; i < rows; ++i) dst[i] = value;
  });
  return out;
}

fn::Literal literal_at(const Column& column, size_t row) {
  fn::Literal lit;
  lit.type = column.type();
  if (column.id() == TypeId::Null || column.is_null(row)) {
    lit.is_null = true;
    return lit;
  }
  visit_physical(column.id(), [&](auto zero) {
    using T = decltype(zero);
    T v = column.data<T>()[row];
    if constexpr (std::is_same_v<T, std::string_view>) lit.s = std::string(v);
    else if constexpr (std::is_same_v<T, uint8_t>) lit.b = v != 0;
    else if constexpr (std::is_floating_point_v<T>) lit.d = v;
    else lit.i = v;
  });
  return lit;
}

}  // namespace runnel::expr
