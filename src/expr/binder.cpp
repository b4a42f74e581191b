// The binder: resolves names against the input schema, applies Spark's
// implicit coercions (inserting casts so every kernel sees exactly the types
// it expects), folds constant sub-expressions into literals, and reports
// problems as ExprError pointing at the offending part of the text.
#include <algorithm>

#include "expr/ast.hpp"
#include "expr/cast.hpp"
#include "expr/coercion.hpp"
#include "expr/lexer.hpp"
#include "expr/nodes.hpp"
#include "expr/vector.hpp"

namespace runnel::expr {

namespace {


constexpr std::string_view kAggregates[] = {"count",  "sum",      "avg",    "mean",     "min",
                                            "max",    "min_by",   "max_by", "first",    "last",
                                            "approx_count_distinct", "stddev", "stddev_samp", "stddev_pop",
                                            "variance", "var_samp", "var_pop", "median", "percentile_approx",
                                            "collect_list", "collect_set", "first_value", "last_value", "any_value",
                                            "count_if", "bool_and", "bool_or", "every", "some", "any"};
constexpr std::string_view kTimeWindows[] = {"window", "session_window"};

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within a small distance, else "".
template <class Names>
std::string did_you_mean(std::string_view name, const Names& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

bool is_nested(const DataType& t) { return t.id == TypeId::Struct || t.id == TypeId::Array; }

class Binder {
 public:
  Binder(const Schema& input, const BindOptions& options) : input_(input), options_(options) {}

  ExprPtr bind_root(const Ast& ast) {
    ExprPtr e = bind(ast, true);
    if (auto* node = dynamic_cast<Node*>(e.get())) node->set_name(root_name(ast, *e));
    return e;
  }

 private:
  // Spark's words for a type error, so users can search for them.
  [[noreturn]] void type_error(const Ast& at, const std::string& problem) const {
    error(at, "data type mismatch: " + problem);
  }

  [[noreturn]] void error(const Ast& at, const std::string& problem) const {
    throw_expr_error(at.source ? *at.source : std::string(), at.offset, problem);
  }
  std::string quote(const Ast& a) const { return "'" + display_name(a, &input_) + "'"; }

  std::string root_name(const Ast& ast, const Expression& e) const {
    if (!ast.alias.empty()) return ast.alias;
    if (e.is_generator()) return "col";  // Spark's default name for explode's output
    if (ast.kind == AstKind::Column) return resolve_path(ast).back();
    return display_name(ast, &input_);
  }

  // --- helpers ---

  // Replaces a constant node by the literal it evaluates to.
  static ExprPtr fold(ExprPtr e) {
    auto* node = dynamic_cast<Node*>(e.get());
    if (!node || !node->is_constant() || literal_of(*e) || is_nested(e->type())) return e;
    Batch one_row{nullptr, {}, 1, nullptr};
    ColumnRef value = e->evaluate(one_row, EvalContext{});
    return make_literal(literal_at(*value, 0));
  }

  static ExprPtr coerce(ExprPtr e, const DataType& to) {
    if (e->type() == to) return e;
    return fold(make_cast(std::move(e), to));
  }

  static fn::Literal null_of(TypeId type) {
    fn::Literal lit;
    lit.type = DataType::of(type);
    lit.is_null = true;
    return lit;
  }

  ExprPtr bind_boolean(const Ast& a, const Ast& parent) {
    ExprPtr e = bind(a);
    if (e->type().id == TypeId::Null) return coerce(std::move(e), DataType::of(TypeId::Boolean));
    if (e->type().id != TypeId::Boolean)
      type_error(a, quote(parent) + " needs a boolean operand, but " + quote(a) + " is " + e->type().to_string());
    return e;
  }

  // --- dispatch ---

  ExprPtr bind(const Ast& a, bool top = false) {
    switch (a.kind) {
      case AstKind::Literal: return make_literal(a.literal);
      case AstKind::Interval:
        error(a, "an INTERVAL can only be added to or subtracted from a timestamp (ts + INTERVAL 10 MINUTES)");
      case AstKind::Column: return bind_column(a);
      case AstKind::Star: error(a, "'*' is only allowed in count(*)");
      case AstKind::Field: return bind_field(a);
      case AstKind::Subscript: return bind_subscript(a);
      case AstKind::Unary: return bind_unary(a);
      case AstKind::Binary: return bind_binary(a);
      case AstKind::IsNull: return fold(make_is_null(bind(*a.children[0]), a.negated));
      case AstKind::In: return bind_in(a);
      case AstKind::Between: return bind_between(a);
      case AstKind::Like: return bind_like(a);
      case AstKind::Case: return bind_case(a);
      case AstKind::Cast: return bind_cast(a);
      case AstKind::Call: return bind_call(a, top);
    }
    error(a, "unsupported expression");
  }

  // --- names ---

  // The declared spelling of each part of a column path (a.b -> {"A", "b"}).
  std::vector<std::string> resolve_path(const Ast& a) const {
    auto index = input_.find(a.parts[0]);
    if (!index) {
      std::vector<std::string> names;
      for (auto& f : input_.fields) names.push_back(f.name);
      std::string available;
      for (auto& n : names) available += (available.empty() ? "" : ", ") + n;
      error(a, "unknown column '" + a.parts[0] + "'" + did_you_mean(a.parts[0], names) +
                   "; available columns: " + (available.empty() ? "(none)" : available));
    }
    std::vector<std::string> path{input_[*index].name};
    const DataType* type = &input_[*index].type;
    for (size_t k = 1; k < a.parts.size(); ++k) {
      size_t f = struct_field(a, *type, a.parts[k], path.back());
      path.push_back(type->fields[f].name);
      type = &type->fields[f].type;
    }
    return path;
  }

  size_t struct_field(const Ast& at, const DataType& type, const std::string& field, const std::string& owner) const {
    if (type.id != TypeId::Struct)
      error(at, "cannot read field '" + field + "' of '" + owner + "': it is " + type.to_string() + ", not a struct");
    Schema fields{type.fields};
    auto f = fields.find(field);
    if (!f) {
      std::vector<std::string> names;
      for (auto& x : type.fields) names.push_back(x.name);
      error(at, "no field '" + field + "' in '" + owner + "' (" + type.to_string() + ")" + did_you_mean(field, names));
    }
    return *f;
  }

  ExprPtr bind_column(const Ast& a) {
    resolve_path(a);  // validates, with good errors
    size_t index = *input_.find(a.parts[0]);
    ExprPtr e = make_column(index, input_[index].type);
    for (size_t k = 1; k < a.parts.size(); ++k) {
      size_t f = *Schema{e->type().fields}.find(a.parts[k]);
      e = make_field(std::move(e), f);
    }
    return e;
  }

  ExprPtr bind_field(const Ast& a) {
    ExprPtr base = bind(*a.children[0]);
    size_t f = struct_field(a, base->type(), a.name, display_name(*a.children[0], &input_));
    return fold(make_field(std::move(base), f));
  }

  ExprPtr bind_subscript(const Ast& a) {
    ExprPtr base = bind(*a.children[0]);
    if (base->type().id != TypeId::Array)
      type_error(a, "cannot subscript " + quote(*a.children[0]) + ": it is " + base->type().to_string() + ", not an array");
    ExprPtr index = bind(*a.children[1]);
    if (!index->type().is_integral() && index->type().id != TypeId::Null)
      type_error(*a.children[1], "an array index must be an integer, but " + quote(*a.children[1]) + " is " + index->type().to_string());
    return make_subscript(std::move(base), coerce(std::move(index), DataType::of(TypeId::Int)));
  }

  // --- operators ---

  ExprPtr bind_unary(const Ast& a) {
    const Ast& child = *a.children[0];
    if (a.op == AstOp::Not) return fold(make_not(bind_boolean(child, a)));
    ExprPtr e = bind(child);
    DataType t = e->type();
    if (t.id == TypeId::Null) return make_literal(null_of(a.op == AstOp::BitNot ? TypeId::Int : TypeId::Double));
    if (t.id == TypeId::String && a.op != AstOp::BitNot) t = DataType::of(TypeId::Double);  // Spark: -'1' = -1.0
    bool ok = a.op == AstOp::BitNot ? t.is_integral() : t.is_numeric();
    if (!ok)
      type_error(a, quote(a) + " needs a " + (a.op == AstOp::BitNot ? "integral" : "numeric") + " operand, but " + quote(child) +
                   " is " + e->type().to_string());
    e = coerce(std::move(e), t);
    if (a.op == AstOp::Plus) return e;
    return fold(make_unary_arithmetic(a.op, std::move(e)));
  }

  ExprPtr bind_binary(const Ast& a) {
    switch (a.op) {
      case AstOp::And:
      case AstOp::Or: {
        ExprPtr l = bind_boolean(*a.children[0], a);
        ExprPtr r = bind_boolean(*a.children[1], a);
        return fold(make_and_or(a.op, std::move(l), std::move(r)));
      }
      case AstOp::Eq:
      case AstOp::NullSafeEq:
      case AstOp::Ne:
      case AstOp::Lt:
      case AstOp::Le:
      case AstOp::Gt:
      case AstOp::Ge: return bind_comparison(a, a.op, *a.children[0], *a.children[1]);
      case AstOp::Concat: return bind_registry_call(a, "concat", {a.children[0].get(), a.children[1].get()});
      default: return bind_arithmetic(a);
    }
  }

  ExprPtr bind_comparison(const Ast& at, AstOp op, const Ast& left, const Ast& right) {
    ExprPtr l = bind(left), r = bind(right);
    auto type = comparison_type(l->type(), r->type());
    if (!type || is_nested(*type))
      type_error(at, "cannot compare " + l->type().to_string() + " with " + r->type().to_string() + " in " + quote(at));
    l = coerce(std::move(l), *type);
    r = coerce(std::move(r), *type);
    return fold(make_comparison(op, std::move(l), std::move(r)));
  }

  // Spark's numeric operand type: strings are read as double (PromoteStrings).
  DataType arithmetic_operand(const Ast& at, const Ast& operand, const DataType& t) const {
    if (t.id == TypeId::String) return DataType::of(TypeId::Double);
    if (t.is_numeric() || t.id == TypeId::Null) return t;
    type_error(operand, quote(at) + " needs numeric operands, but " + quote(operand) + " is " + t.to_string());
  }

  ExprPtr bind_arithmetic(const Ast& a) {
    const Ast& left = *a.children[0];
    const Ast& right = *a.children[1];
    if (left.kind == AstKind::Interval || right.kind == AstKind::Interval) return bind_interval_arithmetic(a);
    ExprPtr l = bind(left), r = bind(right);
    DataType lt = arithmetic_operand(a, left, l->type());
    DataType rt = arithmetic_operand(a, right, r->type());
    DataType type;
    switch (a.op) {
      case AstOp::Div: type = DataType::of(TypeId::Double); break;  // `/` is always fractional
      case AstOp::IntDiv: type = DataType::of(TypeId::Long); break;
      default: type = *common_type(lt, rt);
    }
    if (type.id == TypeId::Null) type = DataType::of(TypeId::Double);
    bool bitwise = a.op == AstOp::BitAnd || a.op == AstOp::BitOr || a.op == AstOp::BitXor;
    if (bitwise && !type.is_integral())
      type_error(a, quote(a) + " needs integral operands, but they are " + l->type().to_string() + " and " + r->type().to_string());
    l = coerce(std::move(l), type);
    r = coerce(std::move(r), type);
    return fold(make_arithmetic(a.op, std::move(l), std::move(r), type));
  }

  // ts + INTERVAL ..., INTERVAL ... + ts, ts - INTERVAL ...
  ExprPtr bind_interval_arithmetic(const Ast& a) {
    bool interval_left = a.children[0]->kind == AstKind::Interval;
    const Ast& interval = *a.children[interval_left ? 0 : 1];
    const Ast& other = *a.children[interval_left ? 1 : 0];
    if ((a.op != AstOp::Add && a.op != AstOp::Sub) || (interval_left && a.op == AstOp::Sub) ||
        other.kind == AstKind::Interval)
      error(a, "an INTERVAL can only be added to or subtracted from a timestamp (ts + INTERVAL 10 MINUTES)");
    ExprPtr ts = bind(other);
    const DataType timestamp = DataType::of(TypeId::Timestamp);
    bool ok = ts->type().id == TypeId::Timestamp || ts->type().id == TypeId::Date || ts->type().id == TypeId::String ||
              ts->type().id == TypeId::Null;
    if (!ok) type_error(other, "an INTERVAL can only be added to a timestamp, but " + quote(other) + " is " + ts->type().to_string());
    fn::Literal micros;
    micros.type = timestamp;  // same physical type (int64 microseconds) as the timestamp operand
    micros.i = interval.interval_us;
    ExprPtr l = coerce(std::move(ts), timestamp);
    return fold(make_arithmetic(a.op, std::move(l), make_literal(micros), timestamp));
  }

  ExprPtr bind_in(const Ast& a) {
    const Ast& value_ast = *a.children[0];
    ExprPtr value = bind(value_ast);
    std::vector<ExprPtr> list;
    std::vector<DataType> types{value->type()};
    for (size_t i = 1; i < a.children.size(); ++i) {
      list.push_back(bind(*a.children[i]));
      types.push_back(list.back()->type());
    }
    auto type = common_type(types);
    if (!type || is_nested(*type)) {
      std::string listed;
      for (auto& t : types) listed += (listed.empty() ? "" : ", ") + t.to_string();
      type_error(a, "the values of " + quote(a) + " have no common type (" + listed + ")");
    }
    std::vector<fn::Literal> literals;
    for (auto& e : list) {
      e = coerce(std::move(e), *type);
      if (const fn::Literal* lit = literal_of(*e)) literals.push_back(*lit);
    }
    ExprPtr result;
    if (literals.size() == list.size() && type->id != TypeId::Null) {
      result = make_in_literals(coerce(std::move(value), *type), std::move(literals));
    } else {
      // x IN (a, b) = (x = a) OR (x = b), which has the same null semantics.
      for (auto& e : list) {
        ExprPtr eq = make_comparison(AstOp::Eq, coerce(bind(value_ast), *type), std::move(e));
        result = result ? make_and_or(AstOp::Or, std::move(result), std::move(eq)) : std::move(eq);
      }
    }
    if (a.negated) result = make_not(std::move(result));
    return fold(std::move(result));
  }

  // Spark rewrites x BETWEEN lo AND hi to x >= lo AND x <= hi (both ends inclusive).
  ExprPtr bind_between(const Ast& a) {
    ExprPtr low = bind_comparison(a, AstOp::Ge, *a.children[0], *a.children[1]);
    ExprPtr high = bind_comparison(a, AstOp::Le, *a.children[0], *a.children[2]);
    ExprPtr result = make_and_or(AstOp::And, std::move(low), std::move(high));
    if (a.negated) result = make_not(std::move(result));
    return fold(std::move(result));
  }

  ExprPtr bind_string_operand(const Ast& at, const Ast& operand) {
    ExprPtr e = bind(operand);
    const DataType string = DataType::of(TypeId::String);
    if (!can_implicitly_cast(e->type(), string) || e->type().id == TypeId::Binary)
      type_error(operand, quote(at) + " needs string operands, but " + quote(operand) + " is " + e->type().to_string());
    return coerce(std::move(e), string);
  }

  ExprPtr bind_like(const Ast& a) {
    ExprPtr value = bind_string_operand(a, *a.children[0]);
    ExprPtr pattern = bind_string_operand(a, *a.children[1]);
    ExprPtr result = make_like(a, std::move(value), std::move(pattern));
    if (a.negated) result = make_not(std::move(result));
    return fold(std::move(result));
  }

  ExprPtr bind_case(const Ast& a) {
    std::vector<ExprPtr> conditions, values;
    size_t first = a.has_operand ? 1 : 0;
    size_t pairs_end = a.children.size() - (a.has_else ? 1 : 0);
    for (size_t i = first; i + 1 < pairs_end; i += 2) {
      if (a.has_operand) conditions.push_back(bind_comparison(*a.children[i], AstOp::Eq, *a.children[0], *a.children[i]));
      else conditions.push_back(bind_boolean(*a.children[i], a));
      values.push_back(bind(*a.children[i + 1]));
    }
    ExprPtr otherwise = a.has_else ? bind(*a.children.back()) : nullptr;
    std::vector<DataType> types;
    for (auto& v : values) types.push_back(v->type());
    if (otherwise) types.push_back(otherwise->type());
    auto type = common_type(types);
    if (!type) {
      std::string listed;
      for (auto& t : types) listed += (listed.empty() ? "" : ", ") + t.to_string();
      type_error(a, "the THEN and ELSE values of CASE have no common type (" + listed + ")");
    }
    for (auto& v : values) v = coerce(std::move(v), *type);
    if (otherwise) otherwise = coerce(std::move(otherwise), *type);
    return fold(make_case(std::move(conditions), std::move(values), std::move(otherwise), *type));
  }

  ExprPtr bind_cast(const Ast& a) {
    ExprPtr child = bind(*a.children[0]);
    if (!can_cast(child->type(), a.cast_type))
      type_error(a, "cannot cast " + child->type().to_string() + " to " + a.cast_type.to_string() + " in " + quote(a));
    ExprPtr e = fold(make_cast(std::move(child), a.cast_type));
    if (a.typed_literal && literal_of(*e)->is_null) error(a, "invalid " + display_name(a) + " literal");
    return e;
  }

  // --- calls ---

  ExprPtr bind_call(const Ast& a, bool top) {
    if (options_.resolve_call)
      if (ExprPtr e = options_.resolve_call(a, input_)) return e;
    std::string name = ascii_lower(a.name);
    if (contains(kAggregates, name))
      error(a, "aggregate function '" + name + "' is only allowed in an aggregate step");
    if (contains(kTimeWindows, name)) error(a, name + "() is only allowed in an aggregate step");
    if (a.distinct) error(a, "DISTINCT is only allowed in aggregate functions, not in " + name + "()");
    if (a.star) error(a, "'*' is only allowed in count(*)");
    if (name == "explode") return bind_explode(a, top);
    if (name == "current_timestamp" || name == "now" || name == "current_date") {
      if (!a.children.empty()) error(a, name + "() takes no arguments");
      return make_current_timestamp(name == "current_date" ? TypeId::Date : TypeId::Timestamp);
    }
    std::vector<const Ast*> args;
    for (auto& c : a.children) args.push_back(c.get());
    return bind_registry_call(a, name, args);
  }

  ExprPtr bind_explode(const Ast& a, bool top) {
    if (!top || !options_.allow_generator) error(a, "explode() is only allowed as a whole expression of a select");
    if (a.children.size() != 1) error(a, "explode() takes exactly one argument");
    ExprPtr array = bind(*a.children[0]);
    if (array->type().id != TypeId::Array)
      type_error(*a.children[0], "explode() needs an array, but " + quote(*a.children[0]) + " is " + array->type().to_string());
    return make_generator(std::move(array));
  }

  ExprPtr bind_registry_call(const Ast& at, const std::string& name, const std::vector<const Ast*>& arg_asts) {
    const fn::ScalarFunction* function = fn::find_scalar_function(name);
    if (!function) error(at, "unknown function '" + name + "'" + did_you_mean(name, fn::scalar_function_names()));
    std::vector<ExprPtr> args;
    std::vector<fn::Arg> described;
    for (const Ast* arg : arg_asts) args.push_back(bind(*arg));
    for (auto& e : args) described.push_back({e->type(), literal_of(*e)});
    fn::Signature signature;
    try {
      signature = function->bind(described);
    } catch (const fn::BindError& e) {
      error(at, name + "(): " + e.what());
    }
    RUNNEL_ASSERT(signature.args.size() == args.size() && signature.kernel);
    for (size_t i = 0; i < args.size(); ++i) {
      const DataType& want = signature.args[i];
      if (!can_implicitly_cast(args[i]->type(), want))
        type_error(*arg_asts[i], "argument " + std::to_string(i + 1) + " of " + name + "() must be " + want.to_string() +
                                ", but " + quote(*arg_asts[i]) + " is " + args[i]->type().to_string());
      args[i] = coerce(std::move(args[i]), want);
    }
    return make_function_call(std::move(signature), std::move(args));
  }

  const Schema& input_;
  const BindOptions& options_;
};

}  // namespace

std::unique_ptr<Expression> bind(const AstPtr& ast, const Schema& input, const BindOptions& options) {
  return Binder(input, options).bind_root(*ast);
}

std::unique_ptr<Expression> compile(std::string_view text, const Schema& input, const std::string& where,
                                    const BindOptions& options) {
  try {
    return expr::bind(parse(text), input, options);
  } catch (const ExprError& e) {
    throw Error(ErrorKind::Config, where.empty() ? std::string(e.what()) : where + ": " + e.what());
  }
}

}  // namespace runnel::expr
