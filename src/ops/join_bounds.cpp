#include "ops/join_bounds.hpp"

#include <algorithm>
#include <map>

namespace runnel::join {

namespace {

// A time expression as a sum: coefficient per pair column, plus a constant (us).
struct Linear {
  std::map<size_t, int> terms;
  int64_t constant = 0;
};

std::optional<Linear> linearize(const expr::Ast& ast, const Schema& pair) {
  switch (ast.kind) {
    case expr::AstKind::Column: {
      if (ast.parts.size() != 1) return std::nullopt;
      std::optional<size_t> i = pair.find(ast.parts[0]);
      if (!i) return std::nullopt;
      Linear l;
      l.terms[*i] = 1;
      return l;
    }
    case expr::AstKind::Interval: {
      Linear l;
      l.constant = ast.interval_us;
      return l;
    }
    case expr::AstKind::Unary: {
      if (ast.op != expr::AstOp::Neg && ast.op != expr::AstOp::Plus) return std::nullopt;
      auto l = linearize(*ast.children[0], pair);
      if (!l || ast.op == expr::AstOp::Plus) return l;
      for (auto& [column, coefficient] : l->terms) coefficient = -coefficient;
      l->constant = -l->constant;
      return l;
    }
    case expr::AstKind::Binary: {
      if (ast.op != expr::AstOp::Add && ast.op != expr::AstOp::Sub) return std::nullopt;
      auto a = linearize(*ast.children[0], pair), b = linearize(*ast.children[1], pair);
      if (!a || !b) return std::nullopt;
      const int sign = ast.op == expr::AstOp::Add ? 1 : -1;
      for (auto& [column, coefficient] : b->terms) a->terms[column] += sign * coefficient;
      a->constant += sign * b->constant;
      return a;
    }
    default:
      return std::nullopt;
  }
}

struct Solver {
  const Schema& pair;
  size_t left_width;
  bool state_is_right;
  size_t other_event_time;

  bool on_state_side(size_t column) const { return (column >= left_width) == state_is_right; }

  // `a < b` read as a bound on the state side's time x: it must come out as
  // `-x + other_watermarked + c < 0`, i.e. x > W + c for every future row.
  std::optional<int64_t> from_less(const expr::Ast& a, const expr::Ast& b) const {
    auto la = linearize(a, pair), lb = linearize(b, pair);
    if (!la || !lb) return std::nullopt;
    for (auto& [column, coefficient] : lb->terms) la->terms[column] -= coefficient;
    la->constant -= lb->constant;
    int state_terms = 0, other_terms = 0;
    for (auto& [column, coefficient] : la->terms) {
      if (coefficient == 0) continue;
      if (on_state_side(column)) {
        if (coefficient != -1) return std::nullopt;
        ++state_terms;
      } else {
        if (column != other_event_time || coefficient != 1) return std::nullopt;
        ++other_terms;
      }
    }
    if (state_terms != 1 || other_terms != 1) return std::nullopt;
    return la->constant;
  }

  static std::optional<int64_t> non_strict(std::optional<int64_t> offset) {
    if (offset) *offset -= 1000;  // Spark's `<=` bound: one millisecond less
    return offset;
  }

  std::optional<int64_t> from_conjunct(const expr::Ast& c) const {
    if (c.kind == expr::AstKind::Between && !c.negated) {
      auto lower = non_strict(from_less(*c.children[1], *c.children[0]));
      auto upper = non_strict(from_less(*c.children[0], *c.children[2]));
      if (lower && upper) return std::min(*lower, *upper);
      return lower ? lower : upper;
    }
    if (c.kind != expr::AstKind::Binary) return std::nullopt;
    const expr::Ast &l = *c.children[0], &r = *c.children[1];
    switch (c.op) {
      case expr::AstOp::Lt:
        return from_less(l, r);
      case expr::AstOp::Le:
        return non_strict(from_less(l, r));
      case expr::AstOp::Gt:
        return from_less(r, l);
      case expr::AstOp::Ge:
        return non_strict(from_less(r, l));
      default:
        return std::nullopt;
    }
  }
};

}  // namespace

std::optional<int64_t> state_value_offset_us(const std::vector<expr::AstPtr>& conjuncts, const Schema& pair,
                                             size_t left_width, bool state_is_right,
                                             size_t other_event_time) {
  const Solver solver{pair, left_width, state_is_right, other_event_time};
  std::optional<int64_t> bound;
  for (auto& c : conjuncts)
    if (auto offset = solver.from_conjunct(*c)) bound = bound ? std::min(*bound, *offset) : *offset;
  return bound;
}

}  // namespace runnel::join
