// Conditional functions: coalesce, if, nullif, greatest, least. Their result
// row is one of the arguments' rows, so each computes a per-row choice and
// pick_rows copies the chosen values (any type, nested ones included).
#include <cstring>

#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

constexpr int32_t kNullChoice = -1;

// Row i of the result is row i of args[choice[i]], or null for kNullChoice.
ColumnRef pick_rows(const DataType& type, const std::vector<ColumnRef>& args,
                    const std::vector<int32_t>& choice) {
  const size_t rows = choice.size();
  if (type.id == TypeId::Null) return Column::nulls(type, rows);
  if (type.id == TypeId::Struct || type.id == TypeId::Array) {
    ColumnRef out = Column::make(type, rows);
    for (size_t i = 0; i < rows; ++i) {
      if (choice[i] == kNullChoice) {
        out->append_null();
      } else {
        out->append_from(*args[choice[i]], i);
      }
    }
    return out;
  }
  ColumnRef out = Column::make(type, rows);
  out->resize(rows);
  if (type.is_string_like()) share_string_arenas(*out, args);
  const size_t width = physical_width(type.id);
  uint8_t* dst = out->data<uint8_t>();
  for (size_t i = 0; i < rows; ++i) {
    int32_t c = choice[i];
    if (c == kNullChoice || args[c]->is_null(i)) {
      out->set_null(i);
    } else {
      std::memcpy(dst + i * width, args[c]->data<uint8_t>() + i * width, width);
    }
  }
  return out;
}

// The signature of a function whose arguments all take their common type.
template <class Choose>
Signature choosing(std::string_view name, const std::vector<Arg>& args, size_t first_common, Choose choose) {
  std::vector<DataType> types;
  for (size_t k = first_common; k < args.size(); ++k) types.push_back(args[k].type);
  DataType common = common_type_of(name, types);
  std::vector<DataType> wanted(first_common, DataType::of(TypeId::Boolean));
  wanted.resize(args.size(), common);
  Kernel kernel = [common, choose](const std::vector<ColumnRef>& cols, size_t rows,
                                   const expr::EvalContext&) {
    std::vector<int32_t> choice(rows);
    choose(cols, choice);
    return pick_rows(common, cols, choice);
  };
  return Signature{std::move(wanted), common, std::move(kernel)};
}

Signature bind_extreme(std::string_view name, const std::vector<Arg>& args, int direction) {
  expect_arg_count(name, args, 2, SIZE_MAX);
  std::vector<DataType> types;
  for (const Arg& a : args) types.push_back(a.type);
  DataType common = common_type_of(name, types);
  return with_ordered_tag(name, common, [&](auto tag) {
    using Tag = decltype(tag);
    return choosing(
        name, args, 0, [direction](const std::vector<ColumnRef>& cols, std::vector<int32_t>& choice) {
          for (size_t i = 0; i < choice.size(); ++i) {
            int32_t best = kNullChoice;
            for (size_t k = 0; k < cols.size(); ++k) {
              if (cols[k]->is_null(i)) continue;
              if (best == kNullChoice ||
                  compare_values(read_value<Tag>(*cols[k], i), read_value<Tag>(*cols[best], i)) * direction >
                      0)
                best = static_cast<int32_t>(k);
            }
            choice[i] = best;
          }
        });
  });
}

}  // namespace

Signature bind_coalesce(const std::vector<Arg>& args) {
  expect_arg_count("coalesce", args, 1, SIZE_MAX);
  return choosing("coalesce", args, 0, [](const std::vector<ColumnRef>& cols, std::vector<int32_t>& choice) {
    for (size_t i = 0; i < choice.size(); ++i) {
      choice[i] = kNullChoice;
      for (size_t k = 0; k < cols.size(); ++k) {
        if (cols[k]->is_valid(i)) {
          choice[i] = static_cast<int32_t>(k);
          break;
        }
      }
    }
  });
}

// nvl/ifnull(a, b): coalesce of exactly two arguments.
Signature bind_nvl(const std::vector<Arg>& args) {
  expect_arg_count("nvl", args, 2, 2);
  return bind_coalesce(args);
}

Signature bind_if(const std::vector<Arg>& args) {
  expect_arg_count("if", args, 3, 3);
  if (args[0].type.id != TypeId::Boolean && args[0].type.id != TypeId::Null)
    throw BindError("if expects a boolean condition, got " + args[0].type.to_string());
  return choosing("if", args, 1, [](const std::vector<ColumnRef>& cols, std::vector<int32_t>& choice) {
    const Column& cond = *cols[0];
    const uint8_t* value = cond.data<uint8_t>();
    for (size_t i = 0; i < choice.size(); ++i) choice[i] = (cond.is_valid(i) && value[i]) ? 1 : 2;
  });
}

// nullif(a, b): NULL when a = b, else a. Both sides take their common type,
// which is also the result type (Spark keeps a's type; they differ only for
// mixed-type arguments).
Signature bind_nullif(const std::vector<Arg>& args) {
  expect_arg_count("nullif", args, 2, 2);
  DataType common = common_type_of("nullif", {args[0].type, args[1].type});
  return with_ordered_tag("nullif", common, [&](auto tag) {
    using Tag = decltype(tag);
    return choosing("nullif", args, 0, [](const std::vector<ColumnRef>& cols, std::vector<int32_t>& choice) {
      for (size_t i = 0; i < choice.size(); ++i) {
        bool equal = cols[0]->is_valid(i) && cols[1]->is_valid(i) &&
                     compare_values(read_value<Tag>(*cols[0], i), read_value<Tag>(*cols[1], i)) == 0;
        choice[i] = equal ? kNullChoice : 0;
      }
    });
  });
}

Signature bind_greatest(const std::vector<Arg>& args) { return bind_extreme("greatest", args, 1); }
Signature bind_least(const std::vector<Arg>& args) { return bind_extreme("least", args, -1); }

}  // namespace runnel::fn
