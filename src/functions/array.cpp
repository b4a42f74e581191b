// Array functions: size, element_at, array_contains (Spark, non-ANSI:
// size(NULL) = -1, an index past either end gives NULL).
#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

void expect_array(std::string_view name, const DataType& t) {
  if (t.id != TypeId::Array) throw BindError(std::string(name) + " expects an array, got " + t.to_string());
}

}  // namespace

Signature bind_size(const std::vector<Arg>& args) {
  expect_arg_count("size", args, 1, 1);
  expect_array("size", args[0].type);
  DataType array = args[0].type;
  DataType int_type = DataType::of(TypeId::Int);
  Kernel kernel = [int_type](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = Column::make(int_type, rows);
    out->resize(rows);
    const Column& in = *cols[0];
    for (size_t i = 0; i < rows; ++i)
      out->data<int32_t>()[i] =
          in.is_null(i) ? -1 : static_cast<int32_t>(in.offsets()[i + 1] - in.offsets()[i]);
    return out;
  };
  return Signature{{array}, int_type, std::move(kernel)};
}

// element_at(array, index): 1-based, negative counts from the end. Spark
// rejects index 0 even outside ANSI mode: a literal 0 is a bind error, a
// computed 0 gives NULL.
Signature bind_element_at(const std::vector<Arg>& args) {
  expect_arg_count("element_at", args, 2, 2);
  expect_array("element_at", args[0].type);
  if (auto index = literal_integer(args[1]); index && *index == 0)
    throw BindError("element_at: SQL array indices start at 1");
  DataType element = *args[0].type.element;
  Kernel kernel = [element](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = Column::make(element, rows);
    const Column& array = *cols[0];
    const Column& index = *cols[1];
    for (size_t i = 0; i < rows; ++i) {
      if (array.is_null(i) || index.is_null(i)) {
        out->append_null();
        continue;
      }
      int64_t begin = array.offsets()[i], count = array.offsets()[i + 1] - begin;
      int64_t k = index.data<int32_t>()[i];
      int64_t at = k > 0 ? k - 1 : count + k;
      if (k == 0 || at < 0 || at >= count) {
        out->append_null();
      } else {
        out->append_from(*array.children()[0], begin + at);
      }
    }
    return out;
  };
  return Signature{{args[0].type, DataType::of(TypeId::Int)}, element, std::move(kernel)};
}

// array_contains(array, value): NULL when either is NULL, or when the value
// is absent but the array holds a NULL.
Signature bind_array_contains(const std::vector<Arg>& args) {
  expect_arg_count("array_contains", args, 2, 2);
  expect_array("array_contains", args[0].type);
  DataType element = common_type_of("array_contains", {*args[0].type.element, args[1].type});
  DataType array = DataType::array_of(element);
  return with_ordered_tag("array_contains", element, [&](auto tag) {
    using Tag = decltype(tag);
    DataType boolean = DataType::of(TypeId::Boolean);
    Kernel kernel = [boolean](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
      ColumnRef out = result_with_nulls_of(boolean, rows, cols);
      const Column& array = *cols[0];
      const Column& elements = *array.children()[0];
      for (size_t i = 0; i < rows; ++i) {
        if (out->is_null(i)) continue;
        auto value = read_value<Tag>(*cols[1], i);
        bool found = false, saw_null = false;
        for (uint32_t e = array.offsets()[i]; e < array.offsets()[i + 1] && !found; ++e) {
          if (elements.is_null(e)) {
            saw_null = true;
          } else {
            found = compare_values(read_value<Tag>(elements, e), value) == 0;
          }
        }
        if (!found && saw_null) {
          out->set_null(i);
        } else {
          out->data<uint8_t>()[i] = found;
        }
      }
      return out;
    };
    return Signature{{array, element}, boolean, std::move(kernel)};
  });
}

}  // namespace runnel::fn
