#include "ops/join_plan.hpp"

#include <algorithm>

#include "expr/cast.hpp"
#include "expr/coercion.hpp"
#include "expr/lexer.hpp"

namespace runnel::join {

const char* join_type_name(JoinType t) {
  static const char* const names[] = {"Inner",     "LeftOuter", "RightOuter",
                                      "FullOuter", "LeftSemi",  "LeftAnti"};
  return names[static_cast<int>(t)];
}

JoinType parse_type(const config::Node& node) {
  if (!node.defined()) return JoinType::Inner;
  const std::string t = node.choice({"inner", "left", "left_outer", "right", "right_outer", "full",
                                     "full_outer", "outer", "left_semi", "left_anti"});
  if (t == "inner") return JoinType::Inner;
  if (t == "left" || t == "left_outer") return JoinType::LeftOuter;
  if (t == "right" || t == "right_outer") return JoinType::RightOuter;
  if (t == "left_semi") return JoinType::LeftSemi;
  if (t == "left_anti") return JoinType::LeftAnti;
  return JoinType::FullOuter;
}

bool keeps_right_columns(JoinType t) { return t != JoinType::LeftSemi && t != JoinType::LeftAnti; }

namespace {

// The names `on` is bound with: both sides' columns, a name found on both
// sides spelled "side.name" (so the binder sees no duplicates and messages
// show which side).
struct Sides {
  const Schema& left;
  const Schema& right;
  std::string left_as, right_as;
  Schema pair;  // left's fields, then right's, renamed as above

  Sides(const Schema& l, const Schema& r, std::string la, std::string ra)
      : left(l), right(r), left_as(std::move(la)), right_as(std::move(ra)) {
    for (auto& f : left.fields)
      pair.fields.push_back({right.find(f.name) ? left_as + "." + f.name : f.name, f.type});
    for (auto& f : right.fields)
      pair.fields.push_back({left.find(f.name) ? right_as + "." + f.name : f.name, f.type});
  }
  Schema left_part() const { return Schema{{pair.fields.begin(), pair.fields.begin() + left.size()}}; }
  Schema right_part() const { return Schema{{pair.fields.begin() + left.size(), pair.fields.end()}}; }
};

// A column reference rewritten to the pair schema's name: `side.col` picks a
// side, a bare name must be on one side only. Unknown names stay for the
// binder to report.
expr::AstPtr qualify(const expr::AstPtr& ast, const Sides& sides) {
  auto copy = std::make_shared<expr::Ast>(*ast);
  for (auto& child : copy->children) child = qualify(child, sides);
  if (ast->kind != expr::AstKind::Column) return copy;
  auto& parts = copy->parts;
  auto in_side = [&](bool right, const std::string& name) -> std::optional<size_t> {
    auto i = (right ? sides.right : sides.left).find(name);
    if (i && right) *i += sides.left.size();
    return i;
  };
  std::optional<size_t> index;
  size_t used = 1;
  const std::string first = expr::ascii_lower(parts[0]);
  if (parts.size() >= 2 && first == expr::ascii_lower(sides.left_as) && (index = in_side(false, parts[1])))
    used = 2;
  else if (parts.size() >= 2 && first == expr::ascii_lower(sides.right_as) &&
           (index = in_side(true, parts[1])))
    used = 2;
  else {
    auto l = in_side(false, parts[0]), r = in_side(true, parts[0]);
    if (l && r)
      expr::throw_expr_error(*ast->source, ast->offset,
                             "[AMBIGUOUS_REFERENCE] Reference `" + parts[0] + "` is ambiguous, could be: [`" +
                                 sides.left_as + "`.`" + parts[0] + "`, `" + sides.right_as + "`.`" +
                                 parts[0] + "`].");
    index = l ? l : r;
  }
  if (!index) return copy;
  parts.erase(parts.begin(), parts.begin() + static_cast<long>(used));
  parts.insert(parts.begin(), sides.pair[*index].name);
  return copy;
}

// Which sides an expression reads: bit 1 the left, bit 2 the right.
int sides_read(const expr::Ast& ast, const Sides& sides) {
  int bits = 0;
  if (ast.kind == expr::AstKind::Column)
    if (auto i = sides.pair.find(ast.parts[0])) bits |= *i < sides.left.size() ? 1 : 2;
  for (auto& c : ast.children) bits |= sides_read(*c, sides);
  return bits;
}

// Marks the pair columns an expression reads.
void mark_columns(const expr::Ast& ast, const Sides& sides, std::vector<uint8_t>& reads) {
  if (ast.kind == expr::AstKind::Column)
    if (auto i = sides.pair.find(ast.parts[0])) reads[*i] = 1;
  for (auto& c : ast.children) mark_columns(*c, sides, reads);
}

void split_and(const expr::AstPtr& ast, std::vector<expr::AstPtr>& out) {
  if (ast->kind == expr::AstKind::Binary && ast->op == expr::AstOp::And) {
    split_and(ast->children[0], out);
    split_and(ast->children[1], out);
  } else {
    out.push_back(ast);
  }
}

bool is_flat(const DataType& type) {
  return type.id != TypeId::Struct && type.id != TypeId::Array && type.id != TypeId::Null;
}

JoinKey make_key(std::unique_ptr<expr::Expression> left, std::unique_ptr<expr::Expression> right,
                 bool null_safe, const config::Node& at) {
  std::optional<DataType> type = expr::comparison_type(left->type(), right->type());  // as `=` compares them
  if (!type || !expr::can_cast(left->type(), *type) || !expr::can_cast(right->type(), *type))
    at.fail("join key " + left->name() + " (" + left->type().to_string() + ") cannot be compared with " +
            right->name() + " (" + right->type().to_string() + ")");
  const bool flat_struct =
      type->id == TypeId::Struct && !type->fields.empty() &&
      std::all_of(type->fields.begin(), type->fields.end(), [](auto& f) { return is_flat(f.type); });
  if (!is_flat(*type) && !flat_struct)
    at.fail("join key " + left->name() + ": " + type->to_string() + " keys are not supported");
  return JoinKey{std::move(left), std::move(right), *type, null_safe};
}

// A conjunct `left_expr = right_expr` (either order) as a key, or nullopt.
std::optional<JoinKey> as_key(const expr::AstPtr& c, const Sides& sides, const config::Node& at) {
  if (c->kind != expr::AstKind::Binary || (c->op != expr::AstOp::Eq && c->op != expr::AstOp::NullSafeEq))
    return std::nullopt;
  int a = sides_read(*c->children[0], sides), b = sides_read(*c->children[1], sides);
  if (!((a == 1 && b == 2) || (a == 2 && b == 1))) return std::nullopt;
  const expr::AstPtr& l = a == 1 ? c->children[0] : c->children[1];
  const expr::AstPtr& r = a == 1 ? c->children[1] : c->children[0];
  return make_key(expr::bind(l, sides.left_part()), expr::bind(r, sides.right_part()),
                  c->op == expr::AstOp::NullSafeEq, at);
}

void plan_on(JoinPlan& plan, const config::Node& on, const Sides& sides) {
  const std::string text = on.str();
  plan.residual_reads.assign(sides.pair.size(), 0);
  try {
    expr::AstPtr ast = qualify(expr::parse(text), sides);
    std::vector<expr::AstPtr> conjuncts;
    split_and(ast, conjuncts);
    for (auto& c : conjuncts) {  // bound one by one: a key compares its sides' values as make_key does
      if (auto key = as_key(c, sides, on)) {
        plan.keys.push_back(std::move(*key));
        continue;
      }
      plan.residual.push_back(expr::bind(c, sides.pair));
      plan.residual_ast.push_back(c);
      mark_columns(*c, sides, plan.residual_reads);
      if (const int read = sides_read(*c, sides); read == 1 || read == 2)
        plan.side_filter[read - 1].push_back(
            expr::bind(c, read == 1 ? sides.left_part() : sides.right_part()));
      if (plan.residual.back()->type().id != TypeId::Boolean)
        expr::throw_expr_error(
            text, c->offset,
            "the join condition must be boolean, not " + plan.residual.back()->type().to_string());
    }
  } catch (const expr::ExprError& e) {
    on.fail(e.what());
  }
  for (size_t i = 0; i < sides.left.size(); ++i) plan.output.push_back({false, i});
  if (keeps_right_columns(plan.type))
    for (size_t i = 0; i < sides.right.size(); ++i) plan.output.push_back({true, i});
}

std::unique_ptr<expr::Expression> bind_name(const std::string& name, const Schema& schema) {
  auto ast = std::make_shared<expr::Ast>();
  ast->kind = expr::AstKind::Column;
  ast->parts = {name};
  ast->source = std::make_shared<const std::string>(name);
  return expr::bind(ast, schema);
}

[[noreturn]] void fail_using(const config::Node& at, const std::string& column, const char* side,
                             const Schema& schema) {
  std::string names;
  for (auto& f : schema.fields) names += (names.empty() ? "`" : ", `") + f.name + "`";
  at.fail("[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `" + column + "` cannot be resolved on the " +
          side + " side of the join. The " + side + "-side columns: [" + names + "].");
}

void plan_using(JoinPlan& plan, const config::Node& using_node, const Sides& sides) {
  std::vector<size_t> left_keys, right_keys;
  for (const config::Node& item : using_node.items()) {
    const std::string column = item.str();
    auto l = sides.left.find(column), r = sides.right.find(column);
    if (!l) fail_using(item, column, "left", sides.left);
    if (!r) fail_using(item, column, "right", sides.right);
    plan.keys.push_back(make_key(bind_name(column, sides.left), bind_name(column, sides.right), false, item));
    left_keys.push_back(*l);
    right_keys.push_back(*r);
  }
  auto is_key = [](const std::vector<size_t>& keys, size_t i) {
    return std::count(keys.begin(), keys.end(), i) > 0;
  };
  for (size_t k = 0; k < left_keys.size(); ++k) plan.output.push_back({false, left_keys[k], right_keys[k]});
  for (size_t i = 0; i < sides.left.size(); ++i)
    if (!is_key(left_keys, i)) plan.output.push_back({false, i});
  if (keeps_right_columns(plan.type))
    for (size_t i = 0; i < sides.right.size(); ++i)
      if (!is_key(right_keys, i)) plan.output.push_back({true, i});
}

// The transform whose steps hold `step` (its `from` names the left side by default).
std::string transform_from(const config::PipelineConfig& pipeline, const config::StepConfig& step) {
  for (auto& t : pipeline.transforms)
    for (auto& s : t.steps)
      if (&s == &step) return t.from;
  return "";
}

}  // namespace

JoinPlan plan_join_condition(const config::StepConfig& step, const config::PipelineConfig& pipeline,
                             JoinType type, const Schema& left, const Schema& right,
                             const std::string& right_name) {
  const config::Node& value = step.value;
  if (value["on"].defined() == value["using"].defined())
    value.fail("expected exactly one of `on` and `using`");
  JoinPlan plan;
  plan.type = type;
  Sides sides(left, right,
              value["left_as"].defined() ? value["left_as"].str() : transform_from(pipeline, step),
              value["right_as"].defined() ? value["right_as"].str() : right_name);
  if (value["on"].defined())
    plan_on(plan, value["on"], sides);
  else
    plan_using(plan, value["using"], sides);
  plan.pair_schema = std::make_shared<const Schema>(sides.pair);
  plan.left_width = left.size();
  Schema out;
  for (auto& o : plan.output) out.fields.push_back(o.from_right ? right[o.index] : left[o.index]);
  plan.output_schema = std::make_shared<const Schema>(std::move(out));
  return plan;
}

std::vector<ColumnRef> key_columns(const std::vector<JoinKey>& keys, bool right_side, const Batch& batch,
                                   const expr::EvalContext& eval) {
  std::vector<ColumnRef> out;
  for (auto& k : keys) {
    const expr::Expression& e = right_side ? *k.right : *k.left;
    ColumnRef c = e.evaluate(batch, eval);
    out.push_back(c->type() == k.type ? c : expr::cast_column(c, k.type));
  }
  return out;
}

std::vector<DataType> flat_key_types(const std::vector<JoinKey>& keys) {
  std::vector<DataType> types;
  for (auto& k : keys) {
    if (k.type.id != TypeId::Struct) types.push_back(k.type);
    for (auto& f : k.type.fields) types.push_back(f.type);
  }
  return types;
}

std::vector<const Column*> flat_key_columns(const std::vector<ColumnRef>& columns) {
  std::vector<const Column*> out;
  for (auto& c : columns) {
    if (c->id() != TypeId::Struct) out.push_back(c.get());
    for (auto& f : c->children()) out.push_back(f.get());
  }
  return out;
}

bool has_null_key(const std::vector<JoinKey>& keys, const std::vector<ColumnRef>& columns, uint32_t r) {
  for (size_t k = 0; k < keys.size(); ++k)
    if (!keys[k].null_safe && columns[k]->is_null(r)) return true;
  return false;
}

std::vector<ColumnRef> gather_rows(const std::vector<ColumnRef>& columns, size_t num_rows,
                                   const std::vector<uint32_t>& rows) {
  const bool misses = std::find(rows.begin(), rows.end(), kNoMatch) != rows.end();
  std::vector<uint32_t> patched;  // misses read row 0, then become null
  if (misses) {
    patched = rows;
    std::replace(patched.begin(), patched.end(), kNoMatch, uint32_t{0});
  }
  const std::vector<uint32_t>& at = misses ? patched : rows;
  std::vector<ColumnRef> out;
  for (auto& c : columns) {
    if (num_rows == 0) {
      out.push_back(Column::nulls(c->type(), rows.size()));
      continue;
    }
    ColumnRef g = c->gather(at.data(), at.size());
    if (misses)
      for (size_t i = 0; i < rows.size(); ++i)
        if (rows[i] == kNoMatch) g->set_null(i);
    out.push_back(std::move(g));
  }
  return out;
}

void and_conditions(const std::vector<std::unique_ptr<expr::Expression>>& conditions, const Batch& batch,
                    const expr::EvalContext& eval, std::vector<uint8_t>& keep) {
  for (auto& condition : conditions) {
    ColumnRef holds = condition->evaluate(batch, eval);
    const uint8_t* value = holds->data<uint8_t>();
    for (size_t i = 0; i < keep.size(); ++i) keep[i] &= holds->is_valid(i) && value[i];
  }
}

void keep_residual(const JoinPlan& plan, const expr::EvalContext& eval,
                   const std::vector<ColumnRef>& left_columns, size_t left_rows,
                   const std::vector<ColumnRef>& right_columns, size_t right_rows,
                   std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
  if (plan.residual.empty() || left.empty()) return;
  // Only the columns the residual reads are gathered; the others stay as they are, never read.
  Batch pairs{plan.pair_schema, {}, left.size(), nullptr};
  auto add = [&](const std::vector<ColumnRef>& columns, size_t rows, const std::vector<uint32_t>& at,
                 size_t first) {
    for (size_t c = 0; c < columns.size(); ++c)
      pairs.columns.push_back(plan.residual_reads[first + c] ? gather_rows({columns[c]}, rows, at)[0]
                                                             : columns[c]);
  };
  add(left_columns, left_rows, left, 0);
  add(right_columns, right_rows, right, left_columns.size());
  std::vector<uint8_t> keep(left.size(), 1);
  and_conditions(plan.residual, pairs, eval, keep);
  size_t n = 0;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) left[n] = left[i], right[n++] = right[i];
  left.resize(n);
  right.resize(n);
}

Batch output_pairs(const JoinPlan& plan, const std::vector<ColumnRef>& left_columns, size_t left_rows,
                   const std::vector<ColumnRef>& right_columns, size_t right_rows,
                   const std::vector<uint32_t>& left, const std::vector<uint32_t>& right) {
  std::vector<ColumnRef> l = gather_rows(left_columns, left_rows, left);
  const bool right_kept = keeps_right_columns(plan.type);
  std::vector<ColumnRef> r =
      right_kept ? gather_rows(right_columns, right_rows, right) : std::vector<ColumnRef>{};
  // A USING key of a side that is null on every row takes the other side's key (Spark's coalesce).
  auto all_missing = [](const std::vector<uint32_t>& rows) {
    return !rows.empty() && std::all_of(rows.begin(), rows.end(), [](uint32_t i) { return i == kNoMatch; });
  };
  const bool left_missing = all_missing(left), right_missing = right_kept && all_missing(right);
  Batch result{plan.output_schema, {}, left.size(), nullptr};
  for (size_t c = 0; c < plan.output.size(); ++c) {
    const OutputColumn& o = plan.output[c];
    ColumnRef column = o.from_right ? r[o.index] : l[o.index];
    if (o.using_other && (o.from_right ? right_missing : left_missing)) {
      column = o.from_right ? l[*o.using_other] : r[*o.using_other];
      const DataType& type = (*plan.output_schema)[c].type;
      if (!(column->type() == type)) column = expr::cast_column(column, type);
    }
    result.columns.push_back(std::move(column));
  }
  return result;
}

std::string describe_keys(const JoinPlan& plan) {
  std::string keys;
  for (auto& k : plan.keys)
    keys += (keys.empty() ? "" : ", ") + k.left->name() + (k.null_safe ? " <=> " : " = ") + k.right->name();
  return keys;
}

std::string describe_residual(const JoinPlan& plan) {
  std::string residual;
  for (auto& r : plan.residual) residual += (residual.empty() ? "" : " AND ") + r->name();
  return residual;
}

}  // namespace runnel::join
