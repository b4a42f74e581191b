// Spark SQL expressions: parsed once from the pipeline's text, bound (names
// resolved, types checked) against an input schema at load time, then
// evaluated column-at-a-time over dense batches. Type errors and unknown
// names are config errors at load time, never run-time surprises.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batch/batch.hpp"
#include "base/error.hpp"

namespace runnel::expr {

struct Ast;  // the parse tree (expr/ast.hpp)
using AstPtr = std::shared_ptr<const Ast>;

// A syntax or binding error; `offset` is the 0-based character offset in the
// expression text. what() reads "<problem> at column <offset+1> of '<text>'".
class ExprError : public Error {
 public:
  ExprError(const std::string& message, size_t offset) : Error(ErrorKind::Config, message), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

// Parses one expression, optionally followed by `AS alias` (or a bare alias).
AstPtr parse(std::string_view text);

struct EvalContext {
  int64_t batch_timestamp_us = 0;  // current_timestamp() during this micro-batch
};

class Expression {
 public:
  virtual ~Expression() = default;
  const DataType& type() const { return type_; }
  // Output column name: the alias, a bare column's name, or Spark's generated
  // name ("(a + 1)", "count(1)", "lower(name)").
  const std::string& name() const { return name_; }
  // explode(...) at the top: evaluate() returns the array to explode and
  // type() is the element type.
  bool is_generator() const { return generator_; }
  // Index of the input column when the expression is a bare column
  // reference (projection then shares the column instead of evaluating).
  std::optional<size_t> column_index() const { return column_index_; }
  // Input columns the expression reads.
  const std::vector<size_t>& inputs() const { return inputs_; }

  // Evaluates over a dense batch (no selection vector); the result has batch.num_rows rows.
  virtual ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const = 0;

 protected:
  DataType type_;
  std::string name_;
  bool generator_ = false;
  std::optional<size_t> column_index_;
  std::vector<size_t> inputs_;
};

struct BindOptions {
  bool allow_generator = false;  // explode() allowed at the top (select)
  // Consulted for every function call before the built-ins and the scalar
  // registry; returns nullptr to decline. The aggregate step uses it to bind
  // sum(x), window(...) etc. (e.g. to a column of its own output); without
  // it an aggregate call is an error ("only allowed in an aggregate step").
  std::function<std::unique_ptr<Expression>(const Ast& call, const Schema& input)> resolve_call;
};

// Resolves names against `input` and checks types. Throws ExprError.
std::unique_ptr<Expression> bind(const AstPtr& ast, const Schema& input, const BindOptions& options = {});

// Convenience: parse + bind, rethrowing errors as Error(Config) prefixed by
// `where` (the YAML position) and quoting the expression text.
std::unique_ptr<Expression> compile(std::string_view text, const Schema& input, const std::string& where,
                                    const BindOptions& options = {});

}  // namespace runnel::expr
