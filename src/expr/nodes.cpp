// Leaf and access nodes: literals, column references, struct fields, array subscripts.
#include "expr/nodes.hpp"

#include <algorithm>

#include "expr/vector.hpp"

namespace runnel::expr {

void Node::add_inputs(const Expression& child) {
  auto* node = dynamic_cast<const Node*>(&child);
  constant_ = constant_ && node && node->is_constant();
  for (size_t i : child.inputs())
    if (std::find(inputs_.begin(), inputs_.end(), i) == inputs_.end()) inputs_.push_back(i);
}

LiteralExpr::LiteralExpr(fn::Literal value) : Node(value.type), value_(std::move(value)) {}

ColumnRef LiteralExpr::evaluate(const Batch& batch, const EvalContext&) const {
  return broadcast(value_, batch.num_rows);
}

const fn::Literal* literal_of(const Expression& e) {
  auto* lit = dynamic_cast<const LiteralExpr*>(&e);
  return lit ? &lit->value() : nullptr;
}

Operand evaluate_operand(const Expression& e, const Batch& batch, const EvalContext& ctx) {
  if (const fn::Literal* lit = literal_of(e)) return {nullptr, lit};
  return {e.evaluate(batch, ctx), nullptr};
}

ExprPtr make_literal(fn::Literal value) { return std::make_unique<LiteralExpr>(std::move(value)); }

namespace {

// A bare column: evaluation hands out the input column itself, no copy.
class ColumnExpr final : public Node {
 public:
  ColumnExpr(size_t index, const DataType& type) : Node(type) {
    column_index_ = index;
    inputs_ = {index};
    constant_ = false;
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext&) const override { return batch.columns[*column_index_]; }
};

// struct.field: the child column, with the struct's own nulls added.
class FieldExpr final : public Node {
 public:
  FieldExpr(ExprPtr child, size_t index) : Node(child->type().fields[index].type), child_(std::move(child)), index_(index) {
    add_inputs(*child_);
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    ColumnRef parent = child_->evaluate(batch, ctx);
    ColumnRef field = parent->children()[index_];
    if (parent->all_valid()) return field;
    ColumnRef out = field->gather(nullptr, field->size());
    and_validity(*out, *parent);
    return out;
  }

 private:
  ExprPtr child_;
  size_t index_;
};

// array[i]: Spark's 0-based subscript; out of range or negative gives NULL (non-ANSI).
class SubscriptExpr final : public Node {
 public:
  SubscriptExpr(ExprPtr array, ExprPtr index)
      : Node(*array->type().element), array_(std::move(array)), index_(std::move(index)) {
    add_inputs(*array_);
    add_inputs(*index_);
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    ColumnRef array = array_->evaluate(batch, ctx);
    ColumnRef index = index_->evaluate(batch, ctx);
    const Column& elements = *array->children()[0];
    const uint32_t* offsets = array->offsets();
    const int32_t* idx = index->data<int32_t>();
    auto out = Column::make(type_, batch.num_rows);
    for (size_t i = 0; i < batch.num_rows; ++i) {
      int64_t k = idx[i];
      if (array->is_null(i) || index->is_null(i) || k < 0 || k >= int64_t{offsets[i + 1] - offsets[i]})
        out->append_null();
      else
        out->append_from(elements, offsets[i] + static_cast<size_t>(k));
    }
    return out;
  }

 private:
  ExprPtr array_;
  ExprPtr index_;
};

}  // namespace

ExprPtr make_column(size_t index, const DataType& type) { return std::make_unique<ColumnExpr>(index, type); }
ExprPtr make_field(ExprPtr child, size_t index) { return std::make_unique<FieldExpr>(std::move(child), index); }
ExprPtr make_subscript(ExprPtr array, ExprPtr index) {
  return std::make_unique<SubscriptExpr>(std::move(array), std::move(index));
}

}  // namespace runnel::expr
