// The parse tree of one Spark SQL expression, as written (nothing resolved).
//
// The tree is plain data so that later stages can walk it: the binder
// (expr/binder.cpp) turns it into evaluable nodes; the aggregate, window and
// join steps look for their own calls (`sum(x)`, `window(ts, ...)`) in it.
// Every node records the 0-based character offset where it starts in
// `*source`, the full expression text shared by all nodes of one parse.
//
// What each kind uses:
//   Literal      literal (type Null for NULL; Int/Long/Double/String/Boolean)
//   Interval     interval_us (INTERVAL 10 MINUTES; months/years are rejected)
//   Column       parts: identifier parts as written, `a.b.c` -> {"a","b","c"}
//   Star         `*` (only as a function argument: count(*))
//   Field        children[0] . name      (field access on a non-column: f(x).a)
//   Subscript    children[0] [ children[1] ]
//   Unary        op (Neg, Plus, Not, BitNot), children[0]
//   Binary       op, children[0], children[1]
//   IsNull       children[0], negated for IS NOT NULL
//   In           children[0] IN (children[1..]), negated for NOT IN
//   Between      children[0] BETWEEN children[1] AND children[2], negated
//   Like         children[0] LIKE children[1]; op = Like or RLike; negated
//   Case         has_operand: children[0] is the CASE operand; then WHEN/THEN
//                pairs; has_else: the last child is the ELSE value
//   Cast         children[0], cast_type; typed_literal for TIMESTAMP '...'
//   Call         name as written, children = arguments, distinct, star (f(*))
// Any node may carry `alias` (only the root, from `AS alias` or a bare alias).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "functions/function.hpp"
#include "types/data_type.hpp"

namespace runnel::expr {

enum class AstKind { Literal, Interval, Column, Star, Field, Subscript, Unary, Binary, IsNull, In, Between, Like, Case, Cast, Call };

enum class AstOp {
  None,
  // logical
  Or, And, Not,
  // comparison
  Eq, NullSafeEq, Ne, Lt, Le, Gt, Ge,
  // bitwise
  BitOr, BitXor, BitAnd, BitNot,
  // arithmetic
  Add, Sub, Mul, Div, IntDiv, Mod, Neg, Plus,
  // string
  Concat, Like, RLike,
};

struct Ast {
  AstKind kind = AstKind::Literal;
  size_t offset = 0;
  std::shared_ptr<const std::string> source;
  std::vector<AstPtr> children;

  AstOp op = AstOp::None;
  bool negated = false;       // IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE
  fn::Literal literal;        // Literal
  int64_t interval_us = 0;    // Interval
  std::string interval_text;  // Interval: Spark's display form, e.g. "INTERVAL '10' MINUTE"
  std::vector<std::string> parts;  // Column
  std::string name;           // Call: function name as written; Field: field name
  bool distinct = false;      // Call: f(DISTINCT x)
  bool star = false;          // Call: f(*)
  DataType cast_type;         // Cast
  bool typed_literal = false; // Cast written as TIMESTAMP '...' / DATE '...'
  bool has_operand = false;   // Case
  bool has_else = false;      // Case
  std::string alias;          // root only; empty when none
};

// Spark's SQL spelling of an operator ("+", "AND", "<=>", "div").
std::string_view op_symbol(AstOp op);

// Function and keyword names compare case-insensitively (ASCII).
std::string ascii_lower(std::string_view s);

// Spark's generated column name for an expression: "(a + 1)", "lower(name)",
// "count(1)", "CAST(x AS INT)". Ignores the alias. With a schema, column
// names are spelled as the schema declares them (Spark prints resolved names).
std::string display_name(const Ast& ast, const Schema* schema = nullptr);

}  // namespace runnel::expr
