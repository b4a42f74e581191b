// Projection: `select`, `with_columns`, `drop` and `rename` all plan into one
// ProjectOperator — a list of output columns, each either an input column
// passed through (shared, never copied; the selection vector is kept when
// nothing is computed) or an expression evaluated over the dense input.
// `select` may hold one generator (explode): each input row becomes one row
// per array element; a null or empty array yields no row (Spark's explode).
#include <optional>

#include "base/log.hpp"
#include "ops/selection.hpp"
#include "plan/steps.hpp"

namespace runnel {

namespace {

struct OutputColumn {
  std::optional<size_t> input;             // pass-through input column
  std::unique_ptr<expr::Expression> expr;  // or a computed one
  std::string text;                        // for explain
};

class ProjectOperator final : public Operator {
 public:
  ProjectOperator(std::string label, std::vector<Field> fields, std::vector<OutputColumn> columns)
      : label_(std::move(label)),
        schema_(std::make_shared<Schema>(Schema{std::move(fields)})),
        columns_(std::move(columns)) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      auto& c = columns_[i];
      if (c.expr && c.expr->is_generator()) generator_ = i;
      if (c.expr) computed_ = true;
      if (c.input) inputs_.push_back(*c.input);
      if (c.expr) inputs_.insert(inputs_.end(), c.expr->inputs().begin(), c.expr->inputs().end());
    }
  }

  SchemaRef output_schema() const override { return schema_; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    if (!computed_) {
      Batch result{schema_, {}, batch.num_rows, batch.sel};
      for (auto& c : columns_) result.columns.push_back(batch.columns[*c.input]);
      out(result);
      return;
    }
    Batch dense = dense_inputs(batch, inputs_);
    Batch result{schema_, {}, dense.num_rows, nullptr};
    for (auto& c : columns_)
      result.columns.push_back(c.input ? dense.columns[*c.input] : c.expr->evaluate(dense, ctx.eval));
    if (generator_) result = explode(result, *generator_);
    if (!result.empty()) out(result);
  }

  std::string explain() const override {
    std::string s = label_ + " [";
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) s += ", ";
      s += columns_[i].text;
    }
    return s + "]";
  }

 private:
  // Replaces column `g` (an array per row) by its elements, repeating the
  // other columns once per element.
  Batch explode(const Batch& in, size_t g) const {
    const Column& array = *in.columns[g];
    const uint32_t* off = array.offsets();
    std::vector<uint32_t> rows, elements;
    for (uint32_t r = 0; r < in.num_rows; ++r) {
      if (array.is_null(r)) continue;
      for (uint32_t k = off[r]; k < off[r + 1]; ++k) {
        rows.push_back(r);
        elements.push_back(k);
      }
    }
    Batch out{schema_, {}, rows.size(), nullptr};
    for (size_t i = 0; i < in.columns.size(); ++i)
      out.columns.push_back(i == g ? array.children()[0]->gather(elements.data(), elements.size())
                                   : in.columns[i]->gather(rows.data(), rows.size()));
    return out;
  }

  std::string label_;
  SchemaRef schema_;
  std::vector<OutputColumn> columns_;
  std::vector<size_t> inputs_;
  std::optional<size_t> generator_;
  bool computed_ = false;
};

OutputColumn pass_through(const Schema& input, size_t i) { return {i, nullptr, input[i].name}; }

std::unique_ptr<Operator> make_project(std::string label, std::vector<Field> fields,
                                       std::vector<OutputColumn> columns) {
  return std::make_unique<ProjectOperator>(std::move(label), std::move(fields), std::move(columns));
}

}  // namespace

std::unique_ptr<Operator> plan_select(const StepContext& ctx) {
  const Schema& input = *ctx.input;
  std::vector<Field> fields;
  std::vector<OutputColumn> columns;
  bool has_generator = false;
  for (auto& item : ctx.step.value.items()) {
    std::string text = item.str();
    if (text == "*") {
      for (size_t i = 0; i < input.size(); ++i) {
        fields.push_back(input[i]);
        columns.push_back(pass_through(input, i));
      }
      continue;
    }
    expr::BindOptions options;
    options.allow_generator = !has_generator;
    auto e = expr::compile(text, input, item.where(), options);
    has_generator |= e->is_generator();
    fields.push_back({e->name(), e->type()});
    if (e->column_index() && !e->is_generator())
      columns.push_back({*e->column_index(), nullptr, text});
    else
      columns.push_back({std::nullopt, std::move(e), text});
  }
  if (columns.empty()) ctx.step.value.fail("select needs at least one expression");
  return make_project("Project", std::move(fields), std::move(columns));
}

std::unique_ptr<Operator> plan_with_columns(const StepContext& ctx) {
  const Schema& input = *ctx.input;
  std::vector<Field> fields = input.fields;
  std::vector<OutputColumn> columns;
  for (size_t i = 0; i < input.size(); ++i) columns.push_back(pass_through(input, i));
  // Spark's withColumns: every expression sees the input, not the columns added before it.
  for (auto& [name, node] : ctx.step.value.entries()) {
    std::string text = node.str();
    auto e = expr::compile(text, input, node.where());
    Field field{name, e->type()};
    OutputColumn column{std::nullopt, std::move(e), name + " = " + text};
    auto existing = Schema{fields}.find(name);
    if (existing) {
      fields[*existing] = field;
      columns[*existing] = std::move(column);
    } else {
      fields.push_back(field);
      columns.push_back(std::move(column));
    }
  }
  return make_project("WithColumns", std::move(fields), std::move(columns));
}

std::unique_ptr<Operator> plan_drop(const StepContext& ctx) {
  const Schema& input = *ctx.input;
  std::vector<bool> dropped(input.size(), false);
  for (auto& name : ctx.step.value.strings()) {
    auto i = input.find(name);
    if (!i) log::warn(ctx.step.value.where() + ": drop: no column '" + name + "' (ignored, as Spark does)");
    else dropped[*i] = true;
  }
  std::vector<Field> fields;
  std::vector<OutputColumn> columns;
  for (size_t i = 0; i < input.size(); ++i) {
    if (dropped[i]) continue;
    fields.push_back(input[i]);
    columns.push_back(pass_through(input, i));
  }
  return make_project("Drop", std::move(fields), std::move(columns));
}

std::unique_ptr<Operator> plan_rename(const StepContext& ctx) {
  const Schema& input = *ctx.input;
  std::vector<Field> fields = input.fields;
  std::vector<OutputColumn> columns;
  for (size_t i = 0; i < input.size(); ++i) columns.push_back(pass_through(input, i));
  for (auto& [from, node] : ctx.step.value.entries()) {
    auto i = input.find(from);
    if (!i) {
      log::warn(node.where() + ": rename: no column '" + from + "' (ignored, as Spark does)");
      continue;
    }
    fields[*i].name = node.str();
    columns[*i].text = input[*i].name + " AS " + fields[*i].name;
  }
  return make_project("Rename", std::move(fields), std::move(columns));
}

}  // namespace runnel
