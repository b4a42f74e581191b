// TEMPORARY: a minimal local version of Spark's wider-common-type rule until
// src/expr/coercion.hpp (branch `expr`) is merged; then common_type_of should
// call it and this file goes away.
#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

int numeric_rank(TypeId id) {
  switch (id) {
    case TypeId::Int: return 1;
    case TypeId::Long: return 2;
    case TypeId::Float: return 3;
    case TypeId::Double: return 4;
    default: return 0;
  }
}

std::optional<DataType> wider_of_two(const DataType& a, const DataType& b) {
  if (a == b) return a;
  if (a.id == TypeId::Null) return b;
  if (b.id == TypeId::Null) return a;
  if (a.is_numeric() && b.is_numeric()) return numeric_rank(a.id) >= numeric_rank(b.id) ? a : b;
  auto is_datetime = [](TypeId id) { return id == TypeId::Date || id == TypeId::Timestamp; };
  if (is_datetime(a.id) && is_datetime(b.id)) return DataType::of(TypeId::Timestamp);
  // Spark's findWiderCommonType: a string and an atomic value meet as string.
  auto is_atomic = [](const DataType& t) { return t.id != TypeId::Struct && t.id != TypeId::Array; };
  if ((a.id == TypeId::String && is_atomic(b)) || (b.id == TypeId::String && is_atomic(a)))
    return DataType::of(TypeId::String);
  if (a.id == TypeId::Array && b.id == TypeId::Array) {
    auto element = wider_of_two(*a.element, *b.element);
    if (element) return DataType::array_of(*element);
  }
  return std::nullopt;
}

}  // namespace

DataType common_type_of(std::string_view name, const std::vector<DataType>& types) {
  DataType result = DataType::of(TypeId::Null);
  for (const DataType& t : types) {
    auto wider = wider_of_two(result, t);
    if (!wider) {
      std::string list;
      for (const DataType& u : types) list += (list.empty() ? "" : ", ") + u.to_string();
      throw BindError(std::string(name) + " expects arguments of a common type, got (" + list + ")");
    }
    result = *wider;
  }
  return result;
}

}  // namespace runnel::fn
