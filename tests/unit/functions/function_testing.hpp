// Helpers for function tests: build small columns, call a function through
// the registry (bind, then its kernel) as the expression binder would.
#pragma once
#include <doctest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "functions/function.hpp"
#include "functions/kernel.hpp"

namespace runnel::fn::testing {

template <class Tag>
using Opt = std::optional<typename Tag::Value>;

template <class Tag>
ColumnRef column(const std::vector<Opt<Tag>>& values) {
  ColumnRef c = Column::make(DataType::of(Tag::id), values.size());
  for (const auto& v : values) {
    if (!v) {
      c->append_null();
    } else if constexpr (std::is_same_v<Tag, BoolT>) {
      c->append<uint8_t>(*v ? 1 : 0);
    } else if constexpr (is_string_tag<Tag>) {
      c->append_string(*v);
    } else {
      c->append(*v);
    }
  }
  return c;
}

inline ColumnRef strings(const std::vector<std::optional<std::string_view>>& values) {
  return column<StringT>(values);
}

inline ColumnRef string_arrays(
    const std::vector<std::optional<std::vector<std::optional<std::string_view>>>>& rows) {
  ColumnRef c = Column::make(DataType::array_of(DataType::of(TypeId::String)));
  for (const auto& row : rows) {
    if (!row) {
      c->append_null();
      continue;
    }
    for (const auto& e : *row) {
      if (e) {
        c->children()[0]->append_string(*e);
      } else {
        c->children()[0]->append_null();
      }
    }
    c->end_array();
  }
  return c;
}

// One argument: a column, and its literal when the argument is a constant.
struct Input {
  ColumnRef column;
  std::shared_ptr<Literal> literal;
  Input(ColumnRef c) : column(std::move(c)) {}  // NOLINT: implicit on purpose
  Input(ColumnRef c, std::shared_ptr<Literal> l) : column(std::move(c)), literal(std::move(l)) {}
};

// A constant argument broadcast to `rows` rows.
inline Input lit(std::string_view s, size_t rows) {
  auto l = std::make_shared<Literal>();
  l->type = DataType::of(TypeId::String);
  l->s = std::string(s);
  return Input(strings(std::vector<std::optional<std::string_view>>(rows, s)), l);
}
inline Input lit_int(int32_t v, size_t rows) {
  auto l = std::make_shared<Literal>();
  l->type = DataType::of(TypeId::Int);
  l->i = v;
  return Input(column<IntT>(std::vector<Opt<IntT>>(rows, v)), l);
}
inline Input lit_null(DataType type, size_t rows) {
  auto l = std::make_shared<Literal>();
  l->type = type;
  l->is_null = true;
  return Input(Column::nulls(type, rows), l);
}

// Binds `name` to the inputs' types; the kernel must want exactly those types.
inline Signature bind(std::string_view name, const std::vector<Input>& inputs) {
  const ScalarFunction* f = find_scalar_function(name);
  REQUIRE_MESSAGE(f != nullptr, "unknown function ", name);
  std::vector<Arg> args;
  for (const Input& in : inputs) args.push_back(Arg{in.column->type(), in.literal.get()});
  return f->bind(args);
}

inline ColumnRef call(std::string_view name, const std::vector<Input>& inputs, size_t rows = SIZE_MAX,
                      expr::EvalContext ctx = {}) {
  Signature sig = bind(name, inputs);
  std::vector<ColumnRef> cols;
  for (size_t k = 0; k < inputs.size(); ++k) {
    REQUIRE_MESSAGE(sig.args[k] == inputs[k].column->type(), name, " argument ", k, " wants ",
                    sig.args[k].to_string(), ", test gave ", inputs[k].column->type().to_string());
    cols.push_back(inputs[k].column);
  }
  if (rows == SIZE_MAX) rows = inputs.at(0).column->size();
  ColumnRef out = sig.kernel(cols, rows, ctx);
  REQUIRE(out->size() == rows);
  REQUIRE(out->type() == sig.result);
  return out;
}

template <class Tag>
std::vector<Opt<Tag>> values(const ColumnRef& c) {
  REQUIRE(c->id() == Tag::id);
  std::vector<Opt<Tag>> out;
  for (size_t i = 0; i < c->size(); ++i) {
    if (c->is_null(i)) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(read_value<Tag>(*c, i));
    }
  }
  return out;
}

using OptString = std::optional<std::string>;
inline std::vector<OptString> texts(const ColumnRef& c) {
  REQUIRE(c->type().is_string_like());
  std::vector<OptString> out;
  for (size_t i = 0; i < c->size(); ++i) {
    if (c->is_null(i)) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(std::string(c->data<std::string_view>()[i]));
    }
  }
  return out;
}

// Rows of an array<string> column, NULL elements as nullopt.
inline std::vector<std::optional<std::vector<OptString>>> string_lists(const ColumnRef& c) {
  REQUIRE(c->id() == TypeId::Array);
  std::vector<std::optional<std::vector<OptString>>> out;
  const Column& e = *c->children()[0];
  for (size_t i = 0; i < c->size(); ++i) {
    if (c->is_null(i)) {
      out.push_back(std::nullopt);
      continue;
    }
    std::vector<OptString> row;
    for (uint32_t k = c->offsets()[i]; k < c->offsets()[i + 1]; ++k)
      row.push_back(e.is_null(k) ? OptString() : OptString(std::string(e.data<std::string_view>()[k])));
    out.push_back(row);
  }
  return out;
}

// Whole-column equality helpers for readable CHECKs.
template <class Tag>
bool column_is(const ColumnRef& c, const std::vector<Opt<Tag>>& expected) {
  return values<Tag>(c) == expected;
}
inline bool texts_are(const ColumnRef& c, const std::vector<OptString>& expected) {
  return texts(c) == expected;
}

inline std::string bind_error(std::string_view name, const std::vector<Input>& inputs) {
  try {
    bind(name, inputs);
  } catch (const BindError& e) {
    return e.what();
  }
  return "";
}

}  // namespace runnel::fn::testing

namespace doctest {
template <>
struct StringMaker<std::optional<std::string>> {
  static String convert(const std::optional<std::string>& v) {
    return v ? ("\"" + *v + "\"").c_str() : "NULL";
  }
};
}  // namespace doctest
