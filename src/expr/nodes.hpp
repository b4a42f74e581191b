// Bound expression nodes (internal to expr/). The binder builds them with the
// make_* factories below, after it has inserted every implicit cast: each
// factory may assume its children already have the types it needs.
#pragma once
#include <memory>
#include <vector>

#include "expr/ast.hpp"
#include "expr/expression.hpp"
#include "functions/function.hpp"

namespace runnel::expr {

using ExprPtr = std::unique_ptr<Expression>;

// Common base: lets the binder set the output name and records inputs.
class Node : public Expression {
 public:
  void set_name(std::string name) { name_ = std::move(name); }
  // True when the value depends on no column and no per-batch context, so
  // the binder may fold it into a literal.
  bool is_constant() const { return constant_; }

 protected:
  explicit Node(DataType type) { type_ = std::move(type); }
  // Records the child's inputs; a non-constant child makes this node non-constant.
  void add_inputs(const Expression& child);
  bool constant_ = true;
};

// A constant. Kernels look for literal children (literal_of) and use the
// value directly instead of evaluating them into a column.
class LiteralExpr final : public Node {
 public:
  explicit LiteralExpr(fn::Literal value);
  const fn::Literal& value() const { return value_; }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override;

 private:
  fn::Literal value_;
};

// The literal if `e` is a constant, else nullptr.
const fn::Literal* literal_of(const Expression& e);

// A child's value for one evaluation: its column, or its literal when constant.
struct Operand {
  ColumnRef column;
  const fn::Literal* literal = nullptr;
  bool is_null_literal() const { return literal && literal->is_null; }
};
Operand evaluate_operand(const Expression& e, const Batch& batch, const EvalContext& ctx);

ExprPtr make_literal(fn::Literal value);
ExprPtr make_column(size_t index, const DataType& type);
// Field `index` of a struct-typed child.
ExprPtr make_field(ExprPtr child, size_t index);
// array[index], 0-based; null when out of range. index is Int.
ExprPtr make_subscript(ExprPtr array, ExprPtr index);
// cast.cpp: CAST(child AS type) with Spark's non-ANSI semantics.
ExprPtr make_cast(ExprPtr child, const DataType& type);
// arithmetic.cpp: Add Sub Mul Div IntDiv Mod BitAnd BitOr BitXor. Both children
// have the same physical type; `result` is their type (Timestamp for ts +/- interval).
ExprPtr make_arithmetic(AstOp op, ExprPtr left, ExprPtr right, const DataType& result);
// arithmetic.cpp: Neg, BitNot on a numeric / integral child.
ExprPtr make_unary_arithmetic(AstOp op, ExprPtr child);
// comparison.cpp: Eq NullSafeEq Ne Lt Le Gt Ge; both children of one type.
ExprPtr make_comparison(AstOp op, ExprPtr left, ExprPtr right);
// comparison.cpp: value IN (literals...), all of value's type.
ExprPtr make_in_literals(ExprPtr value, std::vector<fn::Literal> list);
// logical.cpp
ExprPtr make_and_or(AstOp op, ExprPtr left, ExprPtr right);
ExprPtr make_not(ExprPtr child);
ExprPtr make_is_null(ExprPtr child, bool negated);
// like.cpp: LIKE / RLIKE on strings. Throws ExprError (via `ast`) for an invalid literal pattern.
ExprPtr make_like(const Ast& ast, ExprPtr value, ExprPtr pattern);
// case_when.cpp: CASE WHEN conds[i] THEN values[i] ... ELSE otherwise END
// (otherwise may be null = NULL). Values all have type `type`.
ExprPtr make_case(std::vector<ExprPtr> conditions, std::vector<ExprPtr> values, ExprPtr otherwise, const DataType& type);
// call.cpp
ExprPtr make_function_call(fn::Signature signature, std::vector<ExprPtr> args);
ExprPtr make_current_timestamp(TypeId type);  // Timestamp or Date from EvalContext
ExprPtr make_generator(ExprPtr array);        // explode(array)

}  // namespace runnel::expr
