// Function calls: registry kernels, current_timestamp(), and the explode() generator.
#include "expr/nodes.hpp"
#include "expr/vector.hpp"
#include "types/timestamp.hpp"

namespace runnel::expr {

namespace {

// A scalar function: arguments arrive already cast to Signature::args; literal
// arguments are broadcast because kernels take whole columns.
class FunctionCallExpr final : public Node {
 public:
  FunctionCallExpr(fn::Signature signature, std::vector<ExprPtr> args)
      : Node(signature.result), kernel_(std::move(signature.kernel)), args_(std::move(args)) {
    constant_ = false;  // kernels may read the EvalContext; never folded
    for (auto& a : args_) add_inputs(*a);
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    std::vector<ColumnRef> columns;
    columns.reserve(args_.size());
    for (auto& a : args_) columns.push_back(a->evaluate(batch, ctx));
    ColumnRef out = kernel_(columns, batch.num_rows, ctx);
    RUNNEL_ASSERT(out && out->size() == batch.num_rows);
    return out;
  }

 private:
  fn::Kernel kernel_;
  std::vector<ExprPtr> args_;
};

// current_timestamp() / current_date(): one value per micro-batch (Spark
// fixes it at the start of the batch).
class CurrentTimeExpr final : public Node {
 public:
  explicit CurrentTimeExpr(TypeId type) : Node(DataType::of(type)) { constant_ = false; }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    fn::Literal now;
    now.type = type_;
    now.i = type_.id == TypeId::Date ? floor_div(ctx.batch_timestamp_us, 86400000000LL) : ctx.batch_timestamp_us;
    return broadcast(now, batch.num_rows);
  }
};

// explode(array): evaluates to the array; the select operator makes one row per element.
class GeneratorExpr final : public Node {
 public:
  explicit GeneratorExpr(ExprPtr array) : Node(*array->type().element), array_(std::move(array)) {
    generator_ = true;
    constant_ = false;
    add_inputs(*array_);
  }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override { return array_->evaluate(batch, ctx); }

 private:
  ExprPtr array_;
};

}  // namespace

ExprPtr make_function_call(fn::Signature signature, std::vector<ExprPtr> args) {
  return std::make_unique<FunctionCallExpr>(std::move(signature), std::move(args));
}
ExprPtr make_current_timestamp(TypeId type) { return std::make_unique<CurrentTimeExpr>(type); }
ExprPtr make_generator(ExprPtr array) { return std::make_unique<GeneratorExpr>(std::move(array)); }

}  // namespace runnel::expr
