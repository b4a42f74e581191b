// Watermark (`watermark: {column, delay}`, Spark's withWatermark): passes
// rows through unchanged and records the event times it saw in the
// micro-batch; the executor turns the maximum into the next batch's
// watermark (max event time - delay, never moving back).
#include "plan/steps.hpp"

namespace runnel {

namespace {

class WatermarkOperator final : public Operator {
 public:
  WatermarkOperator(SchemaRef schema, size_t column, int64_t delay_ms, std::string text)
      : schema_(std::move(schema)), column_(column), delay_ms_(delay_ms), text_(std::move(text)) {}

  SchemaRef output_schema() const override { return schema_; }

  void push(const BatchContext&, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    const Column& ts = *batch.columns[column_];
    const int64_t* micros = ts.data<int64_t>();
    for (size_t i = 0; i < batch.size(); ++i) {
      uint32_t row = batch.row(i);
      if (ts.is_null(row)) continue;
      // Spark keeps event times in milliseconds, truncating toward zero (Java `/`).
      int64_t ms = micros[row] / 1000;
      stats_.min = std::min(stats_.min, ms);
      stats_.max = std::max(stats_.max, ms);
      stats_.sum += static_cast<double>(ms);
      ++stats_.count;
    }
    out(batch);
  }

  std::optional<int64_t> watermark_delay_ms() const override { return delay_ms_; }
  EventTimeStats take_event_time_stats() override { return std::exchange(stats_, EventTimeStats{}); }

  std::string explain() const override { return "EventTimeWatermark (" + text_ + ")"; }

 private:
  SchemaRef schema_;
  size_t column_;
  int64_t delay_ms_;
  std::string text_;
  EventTimeStats stats_;
};

}  // namespace

std::unique_ptr<Operator> plan_watermark(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (!value.is_map()) value.fail("expected a map {column, delay}");
  value.check_keys({"column", "delay"});
  config::Node column_node = value.required("column");
  std::string column = column_node.str();
  std::optional<size_t> index = ctx.input->find(column);
  if (!index) column_node.fail("unknown column '" + column + "' (columns: " + ctx.input->to_string() + ")");
  const Field& field = (*ctx.input)[*index];
  if (field.type.id != TypeId::Timestamp)
    column_node.fail("the event time column '" + field.name + "' must be a timestamp, not " + field.type.to_string());
  config::Node delay_node = value.required("delay");
  int64_t delay_us = delay_node.duration_us();
  if (delay_us < 0) delay_node.fail("the watermark delay must not be negative");
  return std::make_unique<WatermarkOperator>(ctx.input, *index, delay_us / 1000,
                                             field.name + ", " + delay_node.str());
}

}  // namespace runnel
