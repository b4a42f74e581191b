// Stream-static join (`join: {with: TABLE, ...}` where TABLE is under
// `tables:`), after Spark's stream-static joins: the stream on the left, a
// static table on the right; types inner, left outer, left semi, left anti
// (Spark rejects right/full outer with a static right side). Stateless, so
// it runs in every output mode.
//
// The table is read with the file source's own readers (a fresh file source
// over the table's config, all its files). Spark re-evaluates the static
// side every micro-batch; here the table's files are listed (path, size,
// mtime) at the first batch of each micro-batch and the table is re-read and
// its hash table rebuilt only when the listing changed.
//
// Keys: the conjuncts of `on` that compare (`=` or `<=>`) an expression of
// the stream's columns with one of the table's; the other conjuncts are a
// residual condition checked on the key-matched pairs (with none, every pair
// is a candidate: a cross join). `using: [c]` means `left.c = right.c` and
// puts c once, first (Spark's USING output: keys, the rest of the left, the
// rest of the right). Null keys never match with `=`; `<=>` matches nulls.
//
// Names: in `on`, `left_as.col` / `right_as.col` pick a side (defaults: the
// transform's `from` and TABLE); a bare name found on both sides is
// ambiguous. The output keeps both sides' columns, a duplicate name twice
// (as Spark does); later steps resolve a bare duplicate to the stream's
// column (the binder takes the first of equal names).
#include <algorithm>

#include "expr/ast.hpp"
#include "expr/cast.hpp"
#include "expr/coercion.hpp"
#include "expr/lexer.hpp"
#include "plan/steps.hpp"
#include "sources/source.hpp"
#include "state/group_table.hpp"

namespace runnel {

namespace {

enum class JoinType { Inner, LeftOuter, LeftSemi, LeftAnti };

constexpr uint32_t kNoMatch = UINT32_MAX;

const char* join_type_name(JoinType t) {
  static const char* const names[] = {"Inner", "LeftOuter", "LeftSemi", "LeftAnti"};
  return names[static_cast<int>(t)];
}

bool keeps_table_columns(JoinType t) { return t == JoinType::Inner || t == JoinType::LeftOuter; }

// The static side: the rows of a `tables:` entry, read by a file source.
class StaticTable {
 public:
  StaticTable(const config::PipelineConfig& pipeline, const config::ConnectorConfig& config)
      : pipeline_(pipeline), config_(config) {
    if (config.type != "file") config.node["type"].fail("a table must be of type file (got '" + config.type + "')");
    schema_ = fresh_source()->schema();
  }

  const std::string& name() const { return config_.name; }
  SchemaRef schema() const { return schema_; }
  const std::vector<ColumnRef>& columns() const { return columns_; }
  size_t rows() const { return rows_; }

  // Lists the table's files; when they differ from the last read, reads them
  // all again and returns true.
  bool refresh() {
    auto source = fresh_source();
    auto offset = source->latest_offset(std::chrono::milliseconds(0));
    nlohmann::json files = offset ? offset->at("files") : nlohmann::json::array();
    if (loaded_ && files == files_) return false;
    std::vector<Batch> batches;
    if (offset) source->read(nullptr, *offset, [&](Batch& b) { batches.push_back(b.dense()); });
    concatenate(batches);
    files_ = std::move(files);
    loaded_ = true;
    return true;
  }

 private:
  std::unique_ptr<Source> fresh_source() const {
    return find_source_type("file")->create(SourceContext{pipeline_, config_, false});
  }

  // Rebuilding is rare (a change of the table's files): rows are appended one by one.
  void concatenate(const std::vector<Batch>& batches) {
    rows_ = 0;
    for (auto& b : batches) rows_ += b.num_rows;
    columns_.clear();
    for (size_t c = 0; c < schema_->size(); ++c) {
      ColumnRef column = Column::make((*schema_)[c].type, rows_);
      for (auto& b : batches)
        for (size_t r = 0; r < b.num_rows; ++r) column->append_from(*b.columns[c], r);
      columns_.push_back(std::move(column));
    }
  }

  // Copies: the table is re-read at run time, when the config the graph was planned from may be gone.
  const config::PipelineConfig pipeline_;
  const config::ConnectorConfig config_;
  SchemaRef schema_;
  std::vector<ColumnRef> columns_;
  size_t rows_ = 0;
  nlohmann::json files_;
  bool loaded_ = false;
};

// One equality key: an expression of each side, cast to the type `=` compares them as.
struct JoinKey {
  std::unique_ptr<expr::Expression> left, right;
  DataType type;
  bool null_safe = false;  // <=>
};

// Where an output column comes from.
struct OutputColumn {
  bool from_table;
  size_t index;
};

struct JoinPlan {
  JoinType type = JoinType::Inner;
  std::vector<JoinKey> keys;
  std::vector<std::unique_ptr<expr::Expression>> residual;  // over the pair schema
  SchemaRef pair_schema;                                    // stream columns, then the table's
  std::vector<OutputColumn> output;
  SchemaRef output_schema;
};

// Evaluates expressions of one side's columns over a dense batch of that side, cast to the key types.
std::vector<ColumnRef> key_columns(const std::vector<JoinKey>& keys, bool table_side, const Batch& batch,
                                   const expr::EvalContext& eval) {
  std::vector<ColumnRef> out;
  for (auto& k : keys) {
    const expr::Expression& e = table_side ? *k.right : *k.left;
    ColumnRef c = e.evaluate(batch, eval);
    out.push_back(c->type() == k.type ? c : expr::cast_column(c, k.type));
  }
  return out;
}

std::vector<const Column*> raw(const std::vector<ColumnRef>& columns) {
  std::vector<const Column*> out;
  for (auto& c : columns) out.push_back(c.get());
  return out;
}

// Whether row r has a null in a key compared with `=` (such a row matches nothing).
bool has_null_key(const std::vector<JoinKey>& keys, const std::vector<ColumnRef>& columns, uint32_t r) {
  for (size_t k = 0; k < keys.size(); ++k)
    if (!keys[k].null_safe && columns[k]->is_null(r)) return true;
  return false;
}

// Copies rows[0..n) of each column; kNoMatch rows become nulls (a left outer miss).
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

// The table's rows by key: a GroupTable of the keys, and each group's rows
// contiguous in `rows` (group g's are rows[first[g]..first[g+1])).
class BuildSide {
 public:
  void build(const JoinPlan& plan, const StaticTable& table, const expr::EvalContext& eval) {
    std::vector<DataType> types;
    for (auto& k : plan.keys) types.push_back(k.type);
    groups_ = std::make_unique<GroupTable>(types);
    Batch batch{table.schema(), table.columns(), table.rows(), nullptr};
    std::vector<ColumnRef> keys = key_columns(plan.keys, true, batch, eval);
    std::vector<uint32_t> kept;  // rows without a null `=` key
    for (uint32_t r = 0; r < table.rows(); ++r)
      if (!has_null_key(plan.keys, keys, r)) kept.push_back(r);
    std::vector<uint32_t> group_of(kept.size());
    if (!plan.keys.empty()) groups_->find_or_insert(raw(keys), kept.data(), kept.size(), group_of.data());
    const size_t num_groups = plan.keys.empty() ? (kept.empty() ? 0 : 1) : groups_->size();
    bucket(kept, group_of, num_groups);
  }

  // Each row's group, or GroupTable::kNoGroup.
  void probe(const JoinPlan& plan, const std::vector<ColumnRef>& keys, size_t n, std::vector<uint32_t>& group_of) {
    group_of.assign(n, GroupTable::kNoGroup);
    if (first_.size() < 2) return;  // an empty table
    if (plan.keys.empty()) {
      std::fill(group_of.begin(), group_of.end(), 0);
      return;
    }
    std::vector<uint32_t> all(n);
    for (uint32_t i = 0; i < n; ++i) all[i] = i;
    groups_->find(raw(keys), all.data(), n, group_of.data());
    for (uint32_t i = 0; i < n; ++i)
      if (group_of[i] != GroupTable::kNoGroup && has_null_key(plan.keys, keys, i)) group_of[i] = GroupTable::kNoGroup;
  }

  const uint32_t* rows_of(uint32_t g) const { return rows_.data() + first_[g]; }
  uint32_t count_of(uint32_t g) const { return first_[g + 1] - first_[g]; }

 private:
  // Counting sort of the rows by group.
  void bucket(const std::vector<uint32_t>& kept, const std::vector<uint32_t>& group_of, size_t num_groups) {
    first_.assign(num_groups + 1, 0);
    for (size_t i = 0; i < kept.size(); ++i) ++first_[group_of[i] + 1];
    for (size_t g = 0; g < num_groups; ++g) first_[g + 1] += first_[g];
    rows_.resize(kept.size());
    std::vector<uint32_t> next(first_.begin(), first_.end() - 1);
    for (size_t i = 0; i < kept.size(); ++i) rows_[next[group_of[i]]++] = kept[i];
  }

  std::unique_ptr<GroupTable> groups_;
  std::vector<uint32_t> first_;
  std::vector<uint32_t> rows_;
};

class StaticJoinOperator final : public Operator {
 public:
  StaticJoinOperator(JoinPlan plan, std::unique_ptr<StaticTable> table)
      : plan_(std::move(plan)), table_(std::move(table)) {
    table_->refresh();
    build_.build(plan_, *table_, {});
  }

  SchemaRef output_schema() const override { return plan_.output_schema; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (ctx.batch_id != checked_batch_) {  // the first batch of a micro-batch: has the table changed?
      checked_batch_ = ctx.batch_id;
      if (table_->refresh()) build_.build(plan_, *table_, ctx.eval);
    }
    if (batch.empty()) return;
    Batch input = batch.dense();
    std::vector<uint32_t> left, right;
    match(ctx, input, left, right);
    if (plan_.type == JoinType::LeftSemi || plan_.type == JoinType::LeftAnti) return emit_filtered(input, left, out);
    if (plan_.type == JoinType::LeftOuter) add_misses(input.num_rows, left, right);
    emit_pairs(input, left, right, out);
  }

  std::string explain() const override {
    std::string keys;
    for (auto& k : plan_.keys)
      keys += (keys.empty() ? "" : ", ") + k.left->name() + (k.null_safe ? " <=> " : " = ") + k.right->name();
    std::string residual;
    for (auto& r : plan_.residual) residual += (residual.empty() ? "" : " AND ") + r->name();
    return "StaticJoin " + std::string(join_type_name(plan_.type)) + (keys.empty() ? "" : " [keys: " + keys + "]") +
           (residual.empty() ? "" : " [condition: " + residual + "]") + " table " + table_->name() + " (" +
           std::to_string(table_->rows()) + " rows)";
  }

 private:
  // The (stream row, table row) pairs whose keys match and residual holds, by stream row.
  void match(const BatchContext& ctx, const Batch& input, std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
    std::vector<ColumnRef> keys = key_columns(plan_.keys, false, input, ctx.eval);
    build_.probe(plan_, keys, input.num_rows, group_of_);
    for (uint32_t i = 0; i < input.num_rows; ++i) {
      if (group_of_[i] == GroupTable::kNoGroup) continue;
      const uint32_t* rows = build_.rows_of(group_of_[i]);
      for (uint32_t k = 0, n = build_.count_of(group_of_[i]); k < n; ++k) {
        left.push_back(i);
        right.push_back(rows[k]);
      }
    }
    if (!plan_.residual.empty()) apply_residual(ctx, input, left, right);
  }

  void apply_residual(const BatchContext& ctx, const Batch& input, std::vector<uint32_t>& left,
                      std::vector<uint32_t>& right) {
    Batch pairs{plan_.pair_schema, gather_rows(input.columns, input.num_rows, left), left.size(), nullptr};
    for (auto& c : gather_rows(table_->columns(), table_->rows(), right)) pairs.columns.push_back(std::move(c));
    std::vector<uint8_t> keep(left.size(), 1);
    for (auto& condition : plan_.residual) {
      ColumnRef holds = condition->evaluate(pairs, ctx.eval);
      const uint8_t* value = holds->data<uint8_t>();
      for (size_t i = 0; i < keep.size(); ++i) keep[i] &= holds->is_valid(i) && value[i];
    }
    size_t n = 0;
    for (size_t i = 0; i < keep.size(); ++i)
      if (keep[i]) left[n] = left[i], right[n++] = right[i];
    left.resize(n);
    right.resize(n);
  }

  // Left outer: a stream row without a pair gets one with no table row, in stream order.
  static void add_misses(size_t num_rows, std::vector<uint32_t>& left, std::vector<uint32_t>& right) {
    std::vector<uint32_t> all_left, all_right;
    size_t p = 0;
    for (uint32_t i = 0; i < num_rows; ++i) {
      if (p == left.size() || left[p] != i) {
        all_left.push_back(i);
        all_right.push_back(kNoMatch);
      }
      for (; p < left.size() && left[p] == i; ++p) {
        all_left.push_back(i);
        all_right.push_back(right[p]);
      }
    }
    left.swap(all_left);
    right.swap(all_right);
  }

  // Semi/anti: the stream rows with (without) a pair, as a selection over the input.
  void emit_filtered(const Batch& input, const std::vector<uint32_t>& left, const Emit& out) const {
    std::vector<uint8_t> matched(input.num_rows, 0);
    for (uint32_t i : left) matched[i] = 1;
    const uint8_t want = plan_.type == JoinType::LeftSemi;
    auto sel = std::make_shared<std::vector<uint32_t>>();
    for (uint32_t i = 0; i < input.num_rows; ++i)
      if (matched[i] == want) sel->push_back(i);
    if (sel->empty()) return;
    Batch result{plan_.output_schema, {}, input.num_rows, std::move(sel)};
    for (auto& o : plan_.output) result.columns.push_back(input.columns[o.index]);
    out(result);
  }

  void emit_pairs(const Batch& input, const std::vector<uint32_t>& left, const std::vector<uint32_t>& right,
                  const Emit& out) const {
    if (left.empty()) return;
    std::vector<ColumnRef> stream = gather_rows(input.columns, input.num_rows, left);
    std::vector<ColumnRef> table = gather_rows(table_->columns(), table_->rows(), right);
    Batch result{plan_.output_schema, {}, left.size(), nullptr};
    for (auto& o : plan_.output) result.columns.push_back(o.from_table ? table[o.index] : stream[o.index]);
    out(result);
  }

  JoinPlan plan_;
  std::unique_ptr<StaticTable> table_;
  BuildSide build_;
  int64_t checked_batch_ = -1;
  std::vector<uint32_t> group_of_;  // scratch
};

// ---- planning ----

JoinType parse_type(const config::Node& node) {
  if (!node.defined()) return JoinType::Inner;
  const std::string t = node.choice({"inner", "left", "left_outer", "right", "right_outer", "full", "full_outer",
                                     "outer", "left_semi", "left_anti"});
  if (t == "right" || t == "right_outer")
    node.fail("RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the "
              "right not supported");
  if (t == "full" || t == "full_outer" || t == "outer")
    node.fail("FullOuter joins with streaming DataFrames/Datasets on the left and a static DataFrame/Dataset on the "
              "right is not supported");
  if (t == "inner") return JoinType::Inner;
  if (t == "left_semi") return JoinType::LeftSemi;
  if (t == "left_anti") return JoinType::LeftAnti;
  return JoinType::LeftOuter;
}

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
    for (auto& f : left.fields) pair.fields.push_back({right.find(f.name) ? left_as + "." + f.name : f.name, f.type});
    for (auto& f : right.fields) pair.fields.push_back({left.find(f.name) ? right_as + "." + f.name : f.name, f.type});
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
  if (parts.size() >= 2 && first == expr::ascii_lower(sides.left_as) && (index = in_side(false, parts[1]))) used = 2;
  else if (parts.size() >= 2 && first == expr::ascii_lower(sides.right_as) && (index = in_side(true, parts[1]))) used = 2;
  else {
    auto l = in_side(false, parts[0]), r = in_side(true, parts[0]);
    if (l && r)
      expr::throw_expr_error(*ast->source, ast->offset,
                             "[AMBIGUOUS_REFERENCE] Reference `" + parts[0] + "` is ambiguous, could be: [`" +
                                 sides.left_as + "`.`" + parts[0] + "`, `" + sides.right_as + "`.`" + parts[0] + "`].");
    index = l ? l : r;
  }
  if (!index) return copy;
  parts.erase(parts.begin(), parts.begin() + static_cast<long>(used));
  parts.insert(parts.begin(), sides.pair[*index].name);
  return copy;
}

// Which sides an expression reads: bit 1 the stream, bit 2 the table.
int sides_read(const expr::Ast& ast, const Sides& sides) {
  int bits = 0;
  if (ast.kind == expr::AstKind::Column)
    if (auto i = sides.pair.find(ast.parts[0])) bits |= *i < sides.left.size() ? 1 : 2;
  for (auto& c : ast.children) bits |= sides_read(*c, sides);
  return bits;
}

void split_and(const expr::AstPtr& ast, std::vector<expr::AstPtr>& out) {
  if (ast->kind == expr::AstKind::Binary && ast->op == expr::AstOp::And) {
    split_and(ast->children[0], out);
    split_and(ast->children[1], out);
  } else {
    out.push_back(ast);
  }
}

JoinKey make_key(std::unique_ptr<expr::Expression> left, std::unique_ptr<expr::Expression> right, bool null_safe,
                 const config::Node& at) {
  std::optional<DataType> type = expr::comparison_type(left->type(), right->type());  // as `=` compares them
  if (!type || !expr::can_cast(left->type(), *type) || !expr::can_cast(right->type(), *type))
    at.fail("join key " + left->name() + " (" + left->type().to_string() + ") cannot be compared with " +
            right->name() + " (" + right->type().to_string() + ")");
  if (type->id == TypeId::Struct || type->id == TypeId::Array)
    at.fail("join key " + left->name() + ": " + type->to_string() + " keys are not supported");
  return JoinKey{std::move(left), std::move(right), *type, null_safe};
}

// A conjunct `stream_expr = table_expr` (either order) as a key, or nullopt.
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
  try {
    expr::AstPtr ast = qualify(expr::parse(text), sides);
    auto whole = expr::bind(ast, sides.pair);
    if (whole->type().id != TypeId::Boolean)
      expr::throw_expr_error(text, 0, "the join condition must be boolean, not " + whole->type().to_string());
    std::vector<expr::AstPtr> conjuncts;
    split_and(ast, conjuncts);
    for (auto& c : conjuncts) {
      if (auto key = as_key(c, sides, on)) plan.keys.push_back(std::move(*key));
      else plan.residual.push_back(expr::bind(c, sides.pair));
    }
  } catch (const expr::ExprError& e) {
    on.fail(e.what());
  }
  for (size_t i = 0; i < sides.left.size(); ++i) plan.output.push_back({false, i});
  if (keeps_table_columns(plan.type))
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
  at.fail("[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `" + column + "` cannot be resolved on the " + side +
          " side of the join. The " + side + "-side columns: [" + names + "].");
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
  auto is_key = [](const std::vector<size_t>& keys, size_t i) { return std::count(keys.begin(), keys.end(), i) > 0; };
  for (size_t i : left_keys) plan.output.push_back({false, i});
  for (size_t i = 0; i < sides.left.size(); ++i)
    if (!is_key(left_keys, i)) plan.output.push_back({false, i});
  if (keeps_table_columns(plan.type))
    for (size_t i = 0; i < sides.right.size(); ++i)
      if (!is_key(right_keys, i)) plan.output.push_back({true, i});
}

// The transform whose steps hold `step` (its `from` names the stream side by default).
std::string transform_from(const config::PipelineConfig& pipeline, const config::StepConfig& step) {
  for (auto& t : pipeline.transforms)
    for (auto& s : t.steps)
      if (&s == &step) return t.from;
  return "";
}

SchemaRef output_schema(const JoinPlan& plan, const Schema& left, const Schema& right) {
  Schema out;
  for (auto& o : plan.output) out.fields.push_back(o.from_table ? right[o.index] : left[o.index]);
  return std::make_shared<const Schema>(std::move(out));
}

}  // namespace

std::unique_ptr<Operator> plan_join(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (!value.is_map()) value.fail("expected a map {with: NAME, type, on: expr} or {with, type, using: [col]}");
  value.check_keys({"with", "type", "on", "using", "left_as", "right_as"});
  const config::Node with = value.required("with");
  const std::string name = with.str();
  if (ctx.find_stream && ctx.find_stream(name)) with.fail("stream-stream joins are not supported yet");
  auto table_config = std::find_if(ctx.pipeline.tables.begin(), ctx.pipeline.tables.end(),
                                   [&](auto& t) { return t.name == name; });
  if (table_config == ctx.pipeline.tables.end()) with.fail("'" + name + "' is not a table, source or transform");
  if (value["on"].defined() == value["using"].defined()) value.fail("expected exactly one of `on` and `using`");

  JoinPlan plan;
  plan.type = parse_type(value["type"]);
  auto table = std::make_unique<StaticTable>(ctx.pipeline, *table_config);
  const Schema& right = *table->schema();
  Sides sides(*ctx.input, right,
              value["left_as"].defined() ? value["left_as"].str() : transform_from(ctx.pipeline, ctx.step),
              value["right_as"].defined() ? value["right_as"].str() : name);
  if (value["on"].defined()) plan_on(plan, value["on"], sides);
  else plan_using(plan, value["using"], sides);
  plan.pair_schema = std::make_shared<const Schema>(sides.pair);
  plan.output_schema = output_schema(plan, *ctx.input, right);
  return std::make_unique<StaticJoinOperator>(std::move(plan), std::move(table));
}

}  // namespace runnel
