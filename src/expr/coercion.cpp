#include "expr/coercion.hpp"

namespace runnel::expr {

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

bool is_atomic(const DataType& t) { return t.id != TypeId::Struct && t.id != TypeId::Array && t.id != TypeId::Null; }

// Spark's findTightestCommonType: no information is lost.
std::optional<DataType> tightest(const DataType& a, const DataType& b) {
  if (a == b) return a;
  if (a.id == TypeId::Null) return b;
  if (b.id == TypeId::Null) return a;
  if (a.is_numeric() && b.is_numeric()) return numeric_rank(a.id) > numeric_rank(b.id) ? a : b;
  auto datetime = [](TypeId id) { return id == TypeId::Date || id == TypeId::Timestamp; };
  if (datetime(a.id) && datetime(b.id)) return DataType::of(TypeId::Timestamp);
  return std::nullopt;
}

}  // namespace

std::optional<DataType> common_type(const DataType& a, const DataType& b) {
  if (auto t = tightest(a, b)) return t;
  auto promotes_to_string = [](const DataType& t) {
    return is_atomic(t) && t.id != TypeId::Binary && t.id != TypeId::Boolean;
  };
  if ((a.id == TypeId::String && promotes_to_string(b)) || (b.id == TypeId::String && promotes_to_string(a)))
    return DataType::of(TypeId::String);
  if (a.id == TypeId::Array && b.id == TypeId::Array) {
    auto element = common_type(*a.element, *b.element);
    if (element) return DataType::array_of(*element);
  }
  return std::nullopt;
}

std::optional<DataType> common_type(const std::vector<DataType>& types) {
  DataType result = DataType::of(TypeId::Null);
  for (auto& t : types) {
    auto next = common_type(result, t);
    if (!next) return std::nullopt;
    result = *next;
  }
  return result;
}

std::optional<DataType> comparison_type(const DataType& a, const DataType& b) {
  if (auto t = tightest(a, b)) return t;
  if (a.id == TypeId::String && is_atomic(b)) return b;
  if (b.id == TypeId::String && is_atomic(a)) return a;
  return std::nullopt;
}

bool can_implicitly_cast(const DataType& from, const DataType& to) {
  if (from == to || from.id == TypeId::Null) return true;
  if (from.is_numeric() && to.is_numeric()) return true;
  if (from.id == TypeId::String)
    return to.is_numeric() || to.id == TypeId::Date || to.id == TypeId::Timestamp || to.id == TypeId::Binary;
  if (to.id == TypeId::String) return is_atomic(from);
  if ((from.id == TypeId::Date && to.id == TypeId::Timestamp) || (from.id == TypeId::Timestamp && to.id == TypeId::Date))
    return true;
  if (from.id == TypeId::Array && to.id == TypeId::Array) return can_implicitly_cast(*from.element, *to.element);
  return false;
}

}  // namespace runnel::expr
