// AND, OR, NOT, IS [NOT] NULL with SQL's three-valued logic:
// false AND null = false, true OR null = true, otherwise null is contagious.
#include "expr/binary.hpp"

namespace runnel::expr {

namespace {

class AndOrExpr final : public BinaryNode {
 public:
  AndOrExpr(AstOp op, ExprPtr left, ExprPtr right)
      : BinaryNode(DataType::of(TypeId::Boolean), std::move(left), std::move(right)), is_and_(op == AstOp::And) {}

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    ColumnRef a = left_->evaluate(batch, ctx);
    ColumnRef b = right_->evaluate(batch, ctx);
    auto out = new_column(type_, n);
    const uint8_t* x = a->data<uint8_t>();
    const uint8_t* y = b->data<uint8_t>();
    uint8_t* dst = out->data<uint8_t>();
    // The value `dominant` (false for AND, true for OR) decides the result on its own.
    uint8_t dominant = is_and_ ? 0 : 1;
    if (a->all_valid() && b->all_valid()) {
      for (size_t i = 0; i < n; ++i) dst[i] = is_and_ ? (x[i] & y[i]) : (x[i] | y[i]);
      return out;
    }
    uint64_t* valid = out->mutable_validity_words();
    for (size_t i = 0; i < n; ++i) {
      bool va = a->is_valid(i), vb = b->is_valid(i);
      bool decided = (va && x[i] == dominant) || (vb && y[i] == dominant);
      if (decided) {
        dst[i] = dominant;
      } else if (va && vb) {
        dst[i] = !dominant;
      } else {
        valid[i >> 6] &= ~(uint64_t{1} << (i & 63));
      }
    }
    return out;
  }

 private:
  bool is_and_;
};

class NotExpr final : public Node {
 public:
  explicit NotExpr(ExprPtr child) : Node(DataType::of(TypeId::Boolean)), child_(std::move(child)) { add_inputs(*child_); }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    ColumnRef in = child_->evaluate(batch, ctx);
    auto out = new_column(type_, batch.num_rows);
    const uint8_t* src = in->data<uint8_t>();
    uint8_t* dst = out->data<uint8_t>();
    for (size_t i = 0; i < batch.num_rows; ++i) dst[i] = src[i] ^ 1;
    copy_validity(*out, *in);
    return out;
  }

 private:
  ExprPtr child_;
};

class IsNullExpr final : public Node {
 public:
  IsNullExpr(ExprPtr child, bool negated)
      : Node(DataType::of(TypeId::Boolean)), child_(std::move(child)), negated_(negated) {
    add_inputs(*child_);
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    ColumnRef in = child_->evaluate(batch, ctx);
    auto out = new_column(type_, batch.num_rows);
    uint8_t* dst = out->data<uint8_t>();
    uint8_t valid_means = negated_ ? 1 : 0;
    if (in->all_valid() && in->id() != TypeId::Null) {
      std::fill(dst, dst + batch.num_rows, valid_means);
      return out;
    }
    for (size_t i = 0; i < batch.num_rows; ++i)
      dst[i] = (in->id() != TypeId::Null && in->is_valid(i)) ? valid_means : valid_means ^ 1;
    return out;
  }

 private:
  ExprPtr child_;
  bool negated_;
};

}  // namespace

ExprPtr make_and_or(AstOp op, ExprPtr left, ExprPtr right) {
  return std::make_unique<AndOrExpr>(op, std::move(left), std::move(right));
}
ExprPtr make_not(ExprPtr child) { return std::make_unique<NotExpr>(std::move(child)); }
ExprPtr make_is_null(ExprPtr child, bool negated) { return std::make_unique<IsNullExpr>(std::move(child), negated); }

}  // namespace runnel::expr
