// Filter (`where` / `filter`): evaluates the predicate column-at-a-time and
// narrows the batch's selection vector; no column is copied. A null
// predicate drops the row (SQL three-valued logic).
#include "base/error.hpp"
#include "plan/steps.hpp"
#include "ops/selection.hpp"

namespace runnel {

namespace {

class FilterOperator final : public Operator {
 public:
  FilterOperator(SchemaRef schema, std::unique_ptr<expr::Expression> predicate, std::string text)
      : schema_(std::move(schema)), predicate_(std::move(predicate)), text_(std::move(text)) {}

  SchemaRef output_schema() const override { return schema_; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    Batch dense = dense_inputs(batch, predicate_->inputs());
    ColumnRef mask = predicate_->evaluate(dense, ctx.eval);
    auto sel = std::make_shared<std::vector<uint32_t>>(dense.num_rows);
    uint32_t* dst = sel->data();
    size_t kept = 0;
    const uint8_t* bits = mask->data<uint8_t>();
    if (mask->all_valid()) {
      for (size_t i = 0; i < dense.num_rows; ++i) {
        dst[kept] = batch.row(i);
        kept += bits[i] != 0;
      }
    } else {
      for (size_t i = 0; i < dense.num_rows; ++i) {
        dst[kept] = batch.row(i);
        kept += (bits[i] != 0) & mask->is_valid(i);
      }
    }
    if (kept == 0) return;
    sel->resize(kept);
    Batch result{batch.schema, batch.columns, batch.num_rows, std::move(sel)};
    out(result);
  }

  std::string explain() const override { return "Filter (" + text_ + ")"; }

 private:
  SchemaRef schema_;
  std::unique_ptr<expr::Expression> predicate_;
  std::string text_;
};

}  // namespace

std::unique_ptr<Operator> plan_where(const StepContext& ctx) {
  std::string text = ctx.step.value.str();
  auto predicate = expr::compile(text, *ctx.input, ctx.step.value.where());
  if (predicate->type().id != TypeId::Boolean && predicate->type().id != TypeId::Null)
    ctx.step.value.fail("filter expression '" + text + "' of type " + predicate->type().to_string() +
                        " is not a boolean");
  return std::make_unique<FilterOperator>(ctx.input, std::move(predicate), text);
}

}  // namespace runnel
