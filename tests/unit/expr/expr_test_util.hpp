// Helpers for expression tests: build small batches, evaluate an expression
// and read the result back as strings (via CAST AS STRING, "NULL" for null).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <doctest.h>

#include "batch/batch.hpp"
#include "expr/cast.hpp"
#include "expr/expression.hpp"

namespace runnel::expr::testing {

template <class T>
ColumnRef column_of(TypeId type, const std::vector<std::optional<T>>& values) {
  ColumnRef c = Column::make(DataType::of(type), values.size());
  for (auto& v : values) {
    if (!v) c->append_null();
    else if constexpr (std::is_same_v<T, std::string>) c->append_string(*v);
    else if (type == TypeId::Int || type == TypeId::Date) c->append<int32_t>(static_cast<int32_t>(*v));
    else if (type == TypeId::Boolean) c->append<uint8_t>(*v ? 1 : 0);
    else if (type == TypeId::Float) c->append<float>(static_cast<float>(*v));
    else if (type == TypeId::Double) c->append<double>(static_cast<double>(*v));
    else c->append<int64_t>(static_cast<int64_t>(*v));
  }
  return c;
}

inline ColumnRef ints(const std::vector<std::optional<int64_t>>& v) { return column_of(TypeId::Int, v); }
inline ColumnRef longs(const std::vector<std::optional<int64_t>>& v) { return column_of(TypeId::Long, v); }
inline ColumnRef doubles(const std::vector<std::optional<double>>& v) { return column_of(TypeId::Double, v); }
inline ColumnRef bools(const std::vector<std::optional<int64_t>>& v) { return column_of(TypeId::Boolean, v); }
inline ColumnRef strings(const std::vector<std::optional<std::string>>& v) { return column_of(TypeId::String, v); }
inline ColumnRef timestamps(const std::vector<std::optional<int64_t>>& v) { return column_of(TypeId::Timestamp, v); }

inline Batch batch_of(const std::vector<std::pair<std::string, ColumnRef>>& columns) {
  auto schema = std::make_shared<Schema>();
  Batch b;
  for (auto& [name, col] : columns) {
    schema->fields.push_back({name, col->type()});
    b.columns.push_back(col);
    b.num_rows = col->size();
  }
  b.schema = schema;
  return b;
}

inline std::vector<std::string> to_strings(const ColumnRef& c) {
  auto text = cast_column(c, DataType::of(TypeId::String));
  std::vector<std::string> out;
  for (size_t i = 0; i < text->size(); ++i)
    out.push_back(text->is_null(i) ? "NULL" : std::string(text->data<std::string_view>()[i]));
  return out;
}

// Binds `text` against the batch's schema and evaluates it.
inline std::vector<std::string> eval(const std::string& text, const Batch& batch, int64_t now_us = 0) {
  auto e = compile(text, *batch.schema, "test");
  auto result = e->evaluate(batch, EvalContext{now_us});
  REQUIRE(result->size() == batch.num_rows);
  return to_strings(result);
}

// A constant expression's value over a one-row batch without columns.
inline std::string eval1(const std::string& text) {
  Batch one{std::make_shared<Schema>(), {}, 1, nullptr};
  return eval(text, one)[0];
}

inline std::string type_of(const std::string& text, const Schema& schema = {}) {
  return compile(text, schema, "test")->type().to_string();
}

using Strings = std::vector<std::string>;

}  // namespace runnel::expr::testing
