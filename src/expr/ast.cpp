// Spark's generated output names (toPrettySQL of the unaliased expression):
// literals print bare ('a' -> a, 1.5 -> 1.5), operators parenthesised.
#include "expr/ast.hpp"

#include "types/number_format.hpp"
#include "types/timestamp.hpp"

namespace runnel::expr {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// Spark's DataType.sql: INT, BIGINT, ARRAY<INT>, STRUCT<a: INT>.
std::string type_sql(const DataType& t) {
  switch (t.id) {
    case TypeId::Array: return "ARRAY<" + type_sql(*t.element) + ">";
    case TypeId::Struct: {
      std::string s = "STRUCT<";
      for (size_t i = 0; i < t.fields.size(); ++i) s += (i ? ", " : "") + t.fields[i].name + ": " + type_sql(t.fields[i].type);
      return s + ">";
    }
    default: {
      std::string s = t.to_string();
      for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return s;
    }
  }
}

std::string literal_name(const fn::Literal& lit) {
  if (lit.is_null) return "NULL";
  std::string out;
  switch (lit.type.id) {
    case TypeId::Boolean: return lit.b ? "true" : "false";
    case TypeId::Int:
    case TypeId::Long: return std::to_string(lit.i);
    case TypeId::Double: format_double(lit.d, out); return out;
    default: return lit.s;
  }
}

class Namer {
 public:
  explicit Namer(const Schema* schema) : schema_(schema) {}

  std::string name(const Ast& a) const {
    switch (a.kind) {
      case AstKind::Literal: return literal_name(a.literal);
      case AstKind::Interval: return a.interval_text;
      case AstKind::Column: return column(a);
      case AstKind::Star: return "*";
      case AstKind::Field: return name(*a.children[0]) + "." + a.name;
      case AstKind::Subscript: return name(*a.children[0]) + "[" + name(*a.children[1]) + "]";
      case AstKind::Unary: return unary(a);
      case AstKind::Binary: return binary(a);
      case AstKind::IsNull: return "(" + name(*a.children[0]) + (a.negated ? " IS NOT NULL)" : " IS NULL)");
      case AstKind::In: {
        std::string s = "(" + name(*a.children[0]) + " IN (";
        for (size_t i = 1; i < a.children.size(); ++i) s += (i > 1 ? ", " : "") + name(*a.children[i]);
        return negate(a, s + "))");
      }
      case AstKind::Between: {  // Spark rewrites BETWEEN to (x >= low) AND (x <= high)
        std::string x = name(*a.children[0]);
        return negate(a, "((" + x + " >= " + name(*a.children[1]) + ") AND (" + x + " <= " + name(*a.children[2]) + "))");
      }
      case AstKind::Like:
        return negate(a, name(*a.children[0]) + (a.op == AstOp::Like ? " LIKE " : " RLIKE ") + name(*a.children[1]));
      case AstKind::Case: return case_name(a);
      case AstKind::Cast: {
        if (a.typed_literal) return type_sql(a.cast_type) + " '" + name(*a.children[0]) + "'";
        return "CAST(" + name(*a.children[0]) + " AS " + type_sql(a.cast_type) + ")";
      }
      case AstKind::Call: return call(a);
    }
    return "?";
  }

 private:
  std::string column(const Ast& a) const {
    std::string s;
    auto index = schema_ ? schema_->find(a.parts[0]) : std::nullopt;
    s = index ? schema_->fields[*index].name : a.parts[0];
    for (size_t i = 1; i < a.parts.size(); ++i) s += "." + a.parts[i];
    return s;
  }

  static std::string negate(const Ast& a, std::string s) { return a.negated ? "(NOT " + s + ")" : s; }

  std::string unary(const Ast& a) const {
    std::string child = name(*a.children[0]);
    switch (a.op) {
      case AstOp::Neg: return "(- " + child + ")";
      case AstOp::Plus: return "(+ " + child + ")";
      case AstOp::Not: return "(NOT " + child + ")";
      default: return "~" + child;
    }
  }

  std::string binary(const Ast& a) const {
    std::string l = name(*a.children[0]), r = name(*a.children[1]);
    if (a.op == AstOp::Concat) return "concat(" + l + ", " + r + ")";
    if (a.op == AstOp::Ne) return "(NOT (" + l + " = " + r + "))";
    return "(" + l + " " + std::string(op_symbol(a.op)) + " " + r + ")";
  }

  std::string case_name(const Ast& a) const {
    std::string s = "CASE";
    size_t first = a.has_operand ? 1 : 0;
    size_t pairs_end = a.children.size() - (a.has_else ? 1 : 0);
    for (size_t i = first; i + 1 < pairs_end; i += 2) {
      std::string cond = name(*a.children[i]);
      if (a.has_operand) cond = "(" + name(*a.children[0]) + " = " + cond + ")";
      s += " WHEN " + cond + " THEN " + name(*a.children[i + 1]);
    }
    if (a.has_else) s += " ELSE " + name(*a.children.back());
    return s + " END";
  }

  std::string call(const Ast& a) const {
    std::string fname = ascii_lower(a.name);
    if (a.star) return fname == "count" ? "count(1)" : fname + "(*)";
    std::string s = fname + "(" + (a.distinct ? "DISTINCT " : "");
    for (size_t i = 0; i < a.children.size(); ++i) s += (i ? ", " : "") + name(*a.children[i]);
    return s + ")";
  }

  const Schema* schema_;
};

}  // namespace

std::string_view op_symbol(AstOp op) {
  switch (op) {
    case AstOp::Or: return "OR";
    case AstOp::And: return "AND";
    case AstOp::Not: return "NOT";
    case AstOp::Eq: return "=";
    case AstOp::NullSafeEq: return "<=>";
    case AstOp::Ne: return "!=";
    case AstOp::Lt: return "<";
    case AstOp::Le: return "<=";
    case AstOp::Gt: return ">";
    case AstOp::Ge: return ">=";
    case AstOp::BitOr: return "|";
    case AstOp::BitXor: return "^";
    case AstOp::BitAnd: return "&";
    case AstOp::BitNot: return "~";
    case AstOp::Add: return "+";
    case AstOp::Sub: return "-";
    case AstOp::Mul: return "*";
    case AstOp::Div: return "/";
    case AstOp::IntDiv: return "div";
    case AstOp::Mod: return "%";
    case AstOp::Neg: return "-";
    case AstOp::Plus: return "+";
    case AstOp::Concat: return "||";
    case AstOp::Like: return "LIKE";
    case AstOp::RLike: return "RLIKE";
    case AstOp::None: break;
  }
  return "?";
}

std::string display_name(const Ast& ast, const Schema* schema) { return Namer(schema).name(ast); }

}  // namespace runnel::expr
