// Shared machinery of two-operand kernels (arithmetic, comparison): one loop
// body instantiated for column/column, column/literal and literal/column, so
// `bytes > 1000` compares against a register, never a broadcast column.
#pragma once
#include "expr/nodes.hpp"
#include "expr/vector.hpp"

namespace runnel::expr {

class BinaryNode : public Node {
 protected:
  BinaryNode(DataType type, ExprPtr left, ExprPtr right)
      : Node(std::move(type)), left_(std::move(left)), right_(std::move(right)) {
    add_inputs(*left_);
    add_inputs(*right_);
  }
  ExprPtr left_;
  ExprPtr right_;
};

// out[i] = op(a[i], b[i]) for i < n, reading In values from either operand shape.
template <class In, class Out, class Op>
void binary_loop(const Operand& a, const Operand& b, Out* out, size_t n, Op op) {
  auto run = [&](auto l, auto r) {
    for (size_t i = 0; i < n; ++i) out[i] = op(l[i], r[i]);
  };
  auto scalar = [](const Operand& o) { return ScalarValue<In>{literal_value<In>(*o.literal)}; };
  auto values = [](const Operand& o) { return ColumnValues<In>{o.column->template data<In>()}; };
  if (a.literal && b.literal) run(scalar(a), scalar(b));
  else if (a.literal) run(scalar(a), values(b));
  else if (b.literal) run(values(a), scalar(b));
  else run(values(a), values(b));
}

// Result nulls for a null-intolerant operator: null where either column operand is.
inline void propagate_nulls(Column& out, const Operand& a, const Operand& b) {
  if (a.column) and_validity(out, *a.column);
  if (b.column) and_validity(out, *b.column);
}

}  // namespace runnel::expr
