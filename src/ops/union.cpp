// Union (`union: {with: NAME}`, Spark's Dataset.union): the rows of this
// transform's stream (port 0) and of stream NAME (port 1), matched by column
// position, not name. The output takes the first input's column names and
// each column's wider type (Spark's WidenSetOperationTypes, non-ANSI); a
// column of a narrower type is cast as its batch passes. Stateless: each
// batch passes through as it comes, with its selection vector.
//
// Event time: the output's event-time column is this stream's, else the
// column at the position of NAME's. Each input's watermark step keeps its
// own watermark; the executor combines them by watermark_policy.
#include <algorithm>
#include <cctype>

#include "expr/cast.hpp"
#include "expr/coercion.hpp"
#include "plan/steps.hpp"

namespace runnel {

namespace {

class UnionOperator final : public Operator {
 public:
  UnionOperator(SchemaRef schema, SchemaRef left, SchemaRef right, std::string with)
      : schema_(std::move(schema)), inputs_{std::move(left), std::move(right)}, with_(std::move(with)) {}

  SchemaRef output_schema() const override { return schema_; }

  void push(const BatchContext& ctx, Batch& batch, const Emit& out) override { push_port(0, ctx, batch, out); }

  void push_port(int port, const BatchContext&, Batch& batch, const Emit& out) override {
    if (batch.empty()) return;
    const Schema& input = *inputs_[port == 0 ? 0 : 1];
    Batch result{schema_, batch.columns, batch.num_rows, batch.sel};
    for (size_t i = 0; i < schema_->size(); ++i)
      if (!(input[i].type == (*schema_)[i].type))
        result.columns[i] = expr::cast_column(batch.columns[i], (*schema_)[i].type);
    out(result);
  }

  std::string explain() const override { return "Union (with " + with_ + ")"; }

 private:
  SchemaRef schema_;
  SchemaRef inputs_[2];
  std::string with_;
};

// Spark's ordinal words in its error messages: first, second, third, 4th...
std::string ordinal(size_t i) {
  static const char* const words[] = {"first", "second", "third"};
  return i < 3 ? words[i] : std::to_string(i + 1) + "th";
}

// Spark's toSQLType: "BIGINT", quoted.
std::string sql_type(const DataType& type) {
  std::string s = type.to_string();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return "\"" + s + "\"";
}

// The output schema: the first input's names, each column's wider type; fails with Spark's words.
SchemaRef union_schema(const Schema& left, const Schema& right, const config::Node& at) {
  if (left.size() != right.size())
    at.fail("[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same number of columns, but "
            "the first input has " + std::to_string(left.size()) + " columns and the second input has " +
            std::to_string(right.size()) + " columns.");
  Schema out;
  for (size_t i = 0; i < left.size(); ++i) {
    std::optional<DataType> wider = expr::common_type(left[i].type, right[i].type);
    if (!wider || !expr::can_cast(left[i].type, *wider) || !expr::can_cast(right[i].type, *wider))
      at.fail("[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on tables with compatible column types. "
              "The " + ordinal(i) + " column of the second table is " + sql_type(right[i].type) +
              " type which is not compatible with " + sql_type(left[i].type) + " at the same column of the first table.");
    out.fields.push_back(Field{left[i].name, *wider});
  }
  return std::make_shared<const Schema>(std::move(out));
}

}  // namespace

std::unique_ptr<Operator> plan_union(const StepContext& ctx) {
  const config::Node& value = ctx.step.value;
  if (!value.is_map()) value.fail("expected a map {with: NAME}");
  value.check_keys({"with"});
  const config::Node with = value.required("with");
  const std::string name = with.str();
  const StreamInfo* other = ctx.find_stream ? ctx.find_stream(name) : nullptr;
  if (!other) {
    for (auto& table : ctx.pipeline.tables)  // Spark's UnsupportedOperationChecker, in its words
      if (table.name == name) with.fail("Union between streaming and batch DataFrames/Datasets is not supported");
    with.fail("'" + name + "' is not a source or transform");
  }
  SchemaRef schema = union_schema(*ctx.input, *other->schema, with);
  if (ctx.event_time_column.empty() && !other->event_time_column.empty())
    ctx.output_event_time = (*schema)[*other->schema->find(other->event_time_column)].name;
  return std::make_unique<UnionOperator>(std::move(schema), ctx.input, other->schema, name);
}

}  // namespace runnel
