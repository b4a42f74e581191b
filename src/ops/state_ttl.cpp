// State TTL (`state_ttl: DURATION`): the keyed state of the stateful step just
// before it (aggregate, deduplicate) expires when no micro-batch has touched
// a key for that long, in processing time (the batch timestamp, which a
// re-run batch takes from its checkpoint, so expiry replays exactly). Expired
// keys are dropped without output and counted in progress
// (customMetrics.numRowsRemovedByTtl), as Flink's idle-state retention; a key
// that comes back starts afresh. The step itself passes rows through.
#include "plan/steps.hpp"

namespace runnel {

namespace {

class StateTtlOperator final : public Operator {
 public:
  StateTtlOperator(SchemaRef schema, std::string text) : schema_(std::move(schema)), text_(std::move(text)) {}
  SchemaRef output_schema() const override { return schema_; }
  void push(const BatchContext&, Batch& batch, const Emit& out) override { out(batch); }
  std::string explain() const override { return "StateTTL " + text_ + " (the state of the step before)"; }

 private:
  SchemaRef schema_;
  std::string text_;
};

}  // namespace

std::unique_ptr<Operator> plan_state_ttl(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  const int64_t ttl_us = value.duration_us();
  if (ttl_us < 1000) value.fail("state_ttl must be at least 1 millisecond");
  if (!ctx.previous || !ctx.previous->stateful())
    value.fail("state_ttl must follow a stateful step (aggregate, deduplicate) in the same transform");
  std::string why = ctx.previous->set_state_ttl(ttl_us / 1000);
  if (!why.empty()) value.fail(why);
  return std::make_unique<StateTtlOperator>(ctx.input, value.str());
}

}  // namespace runnel
