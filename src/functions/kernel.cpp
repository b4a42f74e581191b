#include "functions/kernel.hpp"

#include "expr/coercion.hpp"

namespace runnel::fn {

ColumnRef result_with_nulls_of(const DataType& type, size_t rows, const std::vector<ColumnRef>& args) {
  ColumnRef out = Column::make(type, rows);
  out->resize(rows);
  const size_t words = (rows + 63) / 64;
  for (const ColumnRef& arg : args) {
    if (arg->all_valid()) continue;
    uint64_t* mask = out->mutable_validity_words();
    const uint64_t* arg_mask = arg->validity_words();
    for (size_t w = 0; w < words; ++w) mask[w] &= arg_mask[w];
  }
  return out;
}

void share_string_arenas(Column& out, const std::vector<ColumnRef>& args) {
  out.arena();  // own arena first: new bytes must never go into an input's arena
  for (const ColumnRef& arg : args)
    if (arg->type().is_string_like() || arg->id() == TypeId::Array) out.share_arena(*arg);
}

namespace {
std::string count_text(size_t min, size_t max) {
  if (min == max) return std::to_string(min);
  if (max == SIZE_MAX) return "at least " + std::to_string(min);
  if (max == min + 1) return std::to_string(min) + " or " + std::to_string(max);
  return std::to_string(min) + " to " + std::to_string(max);
}
}  // namespace

void expect_arg_count(std::string_view name, const std::vector<Arg>& args, size_t min, size_t max) {
  if (args.size() >= min && args.size() <= max) return;
  bool singular = max == 1 || (max == SIZE_MAX && min == 1);
  std::string noun = singular ? " argument" : " arguments";
  throw BindError(std::string(name) + " expects " + count_text(min, max) + noun + ", got " +
                  std::to_string(args.size()));
}

DataType common_type_of(std::string_view name, const std::vector<DataType>& types) {
  if (auto common = expr::common_type(types)) return *common;
  std::string list;
  for (const DataType& t : types) list += (list.empty() ? "" : ", ") + t.to_string();
  throw BindError(std::string(name) + " expects arguments of a common type, got (" + list + ")");
}

const std::string* literal_string(const Arg& arg) {
  if (!arg.literal || arg.literal->is_null || !arg.literal->type.is_string_like()) return nullptr;
  return &arg.literal->s;
}

std::optional<int64_t> literal_integer(const Arg& arg) {
  if (!arg.literal || arg.literal->is_null || !arg.literal->type.is_integral()) return std::nullopt;
  return arg.literal->i;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !utf8_is_continuation(c);
  return n;
}

size_t utf8_offset(std::string_view s, size_t chars) {
  size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && utf8_is_continuation(s[i])) ++i;
    --chars;
  }
  return i;
}

}  // namespace runnel::fn
