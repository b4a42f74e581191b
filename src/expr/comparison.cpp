// = <=> <> < <= > >= and IN (literal list). Spark orders doubles with NaN
// equal to itself and greater than every other value; strings compare
// byte-wise (UTF-8 binary order); booleans false < true.
#include <algorithm>
#include <cmath>

#include "expr/binary.hpp"

namespace runnel::expr {

namespace {

template <class T>
bool less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}
template <class T>
bool equal(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a == b || (std::isnan(a) && std::isnan(b));
  else return a == b;
}

template <class T>
void run_comparison(AstOp op, const Operand& a, const Operand& b, uint8_t* out, size_t n) {
  switch (op) {
    case AstOp::Eq:
    case AstOp::NullSafeEq: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return equal(x, y); });
    case AstOp::Ne: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return !equal(x, y); });
    case AstOp::Lt: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return less(x, y); });
    case AstOp::Le: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return !less(y, x); });
    case AstOp::Gt: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return less(y, x); });
    case AstOp::Ge: return binary_loop<T>(a, b, out, n, [](T x, T y) -> uint8_t { return !less(x, y); });
    default: fail(ErrorKind::Internal, "internal error: bad comparison operator");
  }
}

bool operand_valid(const Operand& o, size_t i) { return o.literal ? !o.literal->is_null : o.column->is_valid(i); }

// a <=> b is never null: true when both are null, false when one is.
void apply_null_safe(uint8_t* out, const Operand& a, const Operand& b, size_t n) {
  bool a_may_be_null = a.literal ? a.literal->is_null : !a.column->all_valid();
  bool b_may_be_null = b.literal ? b.literal->is_null : !b.column->all_valid();
  if (!a_may_be_null && !b_may_be_null) return;
  for (size_t i = 0; i < n; ++i) {
    bool va = operand_valid(a, i), vb = operand_valid(b, i);
    if (!va || !vb) out[i] = !va && !vb;
  }
}

class ComparisonExpr final : public BinaryNode {
 public:
  ComparisonExpr(AstOp op, ExprPtr left, ExprPtr right)
      : BinaryNode(DataType::of(TypeId::Boolean), std::move(left), std::move(right)), op_(op) {}

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    Operand a = evaluate_operand(*left_, batch, ctx);
    Operand b = evaluate_operand(*right_, batch, ctx);
    bool null_safe = op_ == AstOp::NullSafeEq;
    if (!null_safe && (a.is_null_literal() || b.is_null_literal())) return Column::nulls(type_, n);
    auto out = new_column(type_, n);
    if (left_->type().id != TypeId::Null) {  // NULL <=> NULL: values never read
      visit_physical(left_->type().id, [&](auto zero) {
        using T = decltype(zero);
        // A null literal has no value to compare; its rows are fixed up below.
        Operand va = a.is_null_literal() ? Operand{nullptr, &zero_literal_} : a;
        Operand vb = b.is_null_literal() ? Operand{nullptr, &zero_literal_} : b;
        run_comparison<T>(op_, va, vb, out->data<uint8_t>(), n);
      });
    }
    if (null_safe) apply_null_safe(out->data<uint8_t>(), a, b, n);
    else propagate_nulls(*out, a, b);
    return out;
  }

 private:
  AstOp op_;
  fn::Literal zero_literal_{};  // type-agnostic zero/empty stand-in for a NULL operand
};

// x IN (v1, v2, ...) over literals: true when found; otherwise NULL if x is
// null or the list holds a NULL; else false. Long lists are sorted and
// binary-searched.
template <class T>
class InLiteralsExpr final : public Node {
 public:
  InLiteralsExpr(ExprPtr value, const std::vector<fn::Literal>& list)
      : Node(DataType::of(TypeId::Boolean)), value_(std::move(value)) {
    add_inputs(*value_);
    for (auto& lit : list) {
      if (lit.is_null) list_has_null_ = true;
      else strings_.push_back(lit.s);
    }
    for (auto& lit : list)
      if (!lit.is_null) values_.push_back(literal_value<T>(lit));
    if constexpr (std::is_same_v<T, std::string_view>)
      for (size_t k = 0; k < values_.size(); ++k) values_[k] = strings_[k];  // own the bytes
    std::sort(values_.begin(), values_.end(), less<T>);
  }

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    ColumnRef in = value_->evaluate(batch, ctx);
    auto out = new_column(type_, n);
    const T* x = in->template data<T>();
    uint8_t* dst = out->template data<uint8_t>();
    if (values_.size() <= 8) {
      for (size_t i = 0; i < n; ++i) {
        bool found = false;
        for (const T& v : values_) found |= equal(x[i], v);
        dst[i] = found;
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        auto it = std::lower_bound(values_.begin(), values_.end(), x[i], less<T>);
        dst[i] = it != values_.end() && equal(*it, x[i]);
      }
    }
    copy_validity(*out, *in);
    if (list_has_null_)
      for (size_t i = 0; i < n; ++i)
        if (!dst[i]) out->set_null(i);
    return out;
  }

 private:
  ExprPtr value_;
  std::vector<std::string> strings_;
  std::vector<T> values_;
  bool list_has_null_ = false;
};

}  // namespace

ExprPtr make_comparison(AstOp op, ExprPtr left, ExprPtr right) {
  return std::make_unique<ComparisonExpr>(op, std::move(left), std::move(right));
}

ExprPtr make_in_literals(ExprPtr value, std::vector<fn::Literal> list) {
  TypeId id = value->type().id;
  return visit_physical(id, [&](auto zero) -> ExprPtr {
    using T = decltype(zero);
    return std::make_unique<InLiteralsExpr<T>>(std::move(value), list);
  });
}

}  // namespace runnel::expr
