// Scalar function registry. A function is described by a bind step (check
// argument types, choose the kernel) and a kernel that computes a whole
// column at once. The binder (expr/) inserts implicit casts so that the
// kernel receives columns of exactly the types its Signature asks for, and
// broadcasts literal arguments to full columns.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batch/column.hpp"
#include "expr/expression.hpp"
#include "types/data_type.hpp"

namespace runnel::fn {

// A literal value known at bind time (e.g. a regex pattern or a format string).
struct Literal {
  DataType type;
  bool is_null = false;
  bool b = false;
  int64_t i = 0;  // Int, Long, Timestamp (micros), Date (days)
  double d = 0;   // Float, Double
  std::string s;  // String, Binary
};

struct Arg {
  DataType type;
  const Literal* literal = nullptr;  // non-null when the argument is a constant
};

// Computes the function over `rows` rows; args have `rows` rows each and the
// types in Signature::args.
using Kernel = std::function<ColumnRef(const std::vector<ColumnRef>& args, size_t rows, const expr::EvalContext& ctx)>;

struct Signature {
  std::vector<DataType> args;  // the types the kernel wants, one per argument
  DataType result;
  Kernel kernel;
};

struct ScalarFunction {
  std::string_view name;  // lower case
  // Returns the signature for these arguments, or throws
  // BindError("<why>") for a wrong count or type (the binder adds position).
  Signature (*bind)(const std::vector<Arg>& args);
};

struct BindError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Lookup is case-insensitive. nullptr for an unknown name.
const ScalarFunction* find_scalar_function(std::string_view name);
// All names, for "did you mean" and docs.
std::vector<std::string_view> scalar_function_names();

}  // namespace runnel::fn
