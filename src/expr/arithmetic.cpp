// + - * / div % & | ^ and unary - ~, with Spark's non-ANSI semantics:
// integer overflow wraps (two's complement, as the JVM does), division or
// remainder by zero gives NULL, `/` is always double, `%` takes the sign of
// the dividend (Java's remainder), Long.MinValue div -1 wraps.
#include <cmath>
#include <type_traits>

#include "expr/binary.hpp"

namespace runnel::expr {

namespace {

template <class T>
constexpr bool kArithmetic = std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> || std::is_floating_point_v<T>;

template <class T>
using Unsigned = std::make_unsigned_t<T>;

// Wrapping integer ops go through unsigned arithmetic (signed overflow is UB in C++).
template <class T>
T add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Unsigned<T>>(a) + static_cast<Unsigned<T>>(b));
  else return a + b;
}
template <class T>
T sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Unsigned<T>>(a) - static_cast<Unsigned<T>>(b));
  else return a - b;
}
template <class T>
T mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<Unsigned<T>>(a) * static_cast<Unsigned<T>>(b));
  else return a * b;
}
template <class T>
T negate(T a) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(Unsigned<T>{0} - static_cast<Unsigned<T>>(a));
  else return -a;
}
// Division-like ops return 0 for a zero divisor; the row is then nulled.
template <class T>
T divide(T a, T b) {
  if constexpr (std::is_integral_v<T>) return b == 0 ? 0 : b == -1 ? negate(a) : a / b;
  else return b == 0 ? 0 : a / b;
}
template <class T>
T remainder(T a, T b) {
  if constexpr (std::is_integral_v<T>) return (b == 0 || b == -1) ? 0 : a % b;
  else return b == 0 ? 0 : std::fmod(a, b);
}

bool is_division(AstOp op) { return op == AstOp::Div || op == AstOp::IntDiv || op == AstOp::Mod; }

bool is_zero(const fn::Literal& lit) {
  return lit.type.id == TypeId::Float || lit.type.id == TypeId::Double ? lit.d == 0 : lit.i == 0;
}

template <class T>
void run_binary(AstOp op, const Operand& a, const Operand& b, T* out, size_t n) {
  switch (op) {
    case AstOp::Add: return binary_loop<T>(a, b, out, n, add<T>);
    case AstOp::Sub: return binary_loop<T>(a, b, out, n, sub<T>);
    case AstOp::Mul: return binary_loop<T>(a, b, out, n, mul<T>);
    case AstOp::Div:
    case AstOp::IntDiv: return binary_loop<T>(a, b, out, n, divide<T>);
    case AstOp::Mod: return binary_loop<T>(a, b, out, n, remainder<T>);
    default: break;
  }
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case AstOp::BitAnd: return binary_loop<T>(a, b, out, n, [](T x, T y) -> T { return x & y; });
      case AstOp::BitOr: return binary_loop<T>(a, b, out, n, [](T x, T y) -> T { return x | y; });
      case AstOp::BitXor: return binary_loop<T>(a, b, out, n, [](T x, T y) -> T { return x ^ y; });
      default: break;
    }
  }
  fail(ErrorKind::Internal, "internal error: bad arithmetic operator");
}

// Nulls the rows whose divisor column holds zero, 64 rows per mask word.
template <class T>
void null_zero_divisors(Column& out, const Column& divisor) {
  const T* d = divisor.data<T>();
  size_t n = out.size();
  uint64_t* words = nullptr;
  for (size_t w = 0; w * 64 < n; ++w) {
    uint64_t zero = 0;
    size_t end = std::min(n, w * 64 + 64);
    for (size_t i = w * 64; i < end; ++i) zero |= uint64_t{d[i] == 0} << (i & 63);
    if (!zero) continue;
    if (!words) words = out.mutable_validity_words();
    words[w] &= ~zero;
  }
}

class ArithmeticExpr final : public BinaryNode {
 public:
  ArithmeticExpr(AstOp op, ExprPtr left, ExprPtr right, const DataType& result)
      : BinaryNode(result, std::move(left), std::move(right)), op_(op) {}

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    Operand a = evaluate_operand(*left_, batch, ctx);
    Operand b = evaluate_operand(*right_, batch, ctx);
    if (a.is_null_literal() || b.is_null_literal()) return Column::nulls(type_, n);
    if (is_division(op_) && b.literal && is_zero(*b.literal))
      return Column::nulls(type_, n);
    auto out = new_column(type_, n);
    visit_physical(left_->type().id, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (kArithmetic<T>) {
        run_binary<T>(op_, a, b, out->data<T>(), n);
        propagate_nulls(*out, a, b);
        if (is_division(op_) && b.column) null_zero_divisors<T>(*out, *b.column);
      } else {
        fail(ErrorKind::Internal, "internal error: arithmetic on non-numeric type");
      }
    });
    return out;
  }

 private:
  AstOp op_;
};

class UnaryArithmeticExpr final : public Node {
 public:
  UnaryArithmeticExpr(AstOp op, ExprPtr child) : Node(child->type()), op_(op), child_(std::move(child)) {
    add_inputs(*child_);
  }

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    ColumnRef in = child_->evaluate(batch, ctx);
    auto out = new_column(type_, batch.num_rows);
    visit_physical(type_.id, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (kArithmetic<T>) {
        const T* src = in->data<T>();
        T* dst = out->data<T>();
        if constexpr (std::is_integral_v<T>) {
          if (op_ == AstOp::BitNot) {
            for (size_t i = 0; i < batch.num_rows; ++i) dst[i] = static_cast<T>(~src[i]);
            return;
          }
        }
        for (size_t i = 0; i < batch.num_rows; ++i) dst[i] = negate(src[i]);
      }
    });
    copy_validity(*out, *in);
    return out;
  }

 private:
  AstOp op_;
  ExprPtr child_;
};

}  // namespace

ExprPtr make_arithmetic(AstOp op, ExprPtr left, ExprPtr right, const DataType& result) {
  return std::make_unique<ArithmeticExpr>(op, std::move(left), std::move(right), result);
}

ExprPtr make_unary_arithmetic(AstOp op, ExprPtr child) {
  return std::make_unique<UnaryArithmeticExpr>(op, std::move(child));
}

}  // namespace runnel::expr
