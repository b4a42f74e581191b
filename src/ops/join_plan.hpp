// What the stream-static and the stream-stream join share: the join types,
// the equality keys and residual condition taken from `on` (or `using`),
// the output columns, and the column-at-a-time helpers both probes use.
//
// Keys: the conjuncts of `on` that compare (`=` or `<=>`) an expression of
// the left side's columns with one of the right side's; the other conjuncts
// are a residual condition checked on the key-matched pairs (with none,
// every pair is a candidate: a cross join). `using: [c]` means
// `left.c = right.c` and puts c once, first (Spark's USING output: keys, the
// rest of the left, the rest of the right). Null keys never match with `=`;
// `<=>` matches nulls. A struct key (a window) is compared field by field.
//
// Names: in `on`, `left_as.col` / `right_as.col` pick a side (defaults: the
// transform's `from` and the `with` NAME); a bare name found on both sides
// is ambiguous. The output keeps both sides' columns, a duplicate name twice
// (as Spark does); later steps resolve a bare duplicate to the left's column
// (the binder takes the first of equal names).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/batch.hpp"
#include "config/pipeline_config.hpp"
#include "expr/ast.hpp"
#include "expr/expression.hpp"

namespace runnel::join {

enum class JoinType { Inner, LeftOuter, RightOuter, FullOuter, LeftSemi, LeftAnti };

constexpr uint32_t kNoMatch = UINT32_MAX;

// Spark's names: "Inner", "LeftOuter", ...
const char* join_type_name(JoinType t);
// `type:` of a join step (absent: inner), aliases as the contract lists.
JoinType parse_type(const config::Node& node);
// Whether the output has the right side's columns (not for semi/anti joins).
bool keeps_right_columns(JoinType t);

// One equality key: an expression of each side, cast to the type `=` compares them as.
struct JoinKey {
  std::unique_ptr<expr::Expression> left, right;
  DataType type;
  bool null_safe = false;  // <=>
};

// Where an output column comes from; a USING key also names the other
// side's key column, which fills it on rows whose side is null-padded.
struct OutputColumn {
  bool from_right;
  size_t index;
  std::optional<size_t> using_other = std::nullopt;
};

struct JoinPlan {
  JoinType type = JoinType::Inner;
  std::vector<JoinKey> keys;
  std::vector<std::unique_ptr<expr::Expression>> residual;  // over the pair schema
  std::vector<expr::AstPtr> residual_ast;                   // the same, as written (names of the pair schema)
  // The residual conjuncts that read one side only, bound to that side's
  // columns (Spark's pre-join filters): [0] the left's, [1] the right's.
  std::vector<std::unique_ptr<expr::Expression>> side_filter[2];
  SchemaRef pair_schema;                // left columns, then the right's
  std::vector<uint8_t> residual_reads;  // per pair column: whether the residual reads it
  size_t left_width = 0;                // columns of the left side
  std::vector<OutputColumn> output;
  SchemaRef output_schema;
};

// Plans keys, residual and output of a `join` step whose sides have schemas
// `left` and `right`; `right_name` is the `with` NAME (right_as's default).
JoinPlan plan_join_condition(const config::StepConfig& step, const config::PipelineConfig& pipeline,
                             JoinType type, const Schema& left, const Schema& right,
                             const std::string& right_name);

// The key columns of one side's dense batch, cast to the key types.
std::vector<ColumnRef> key_columns(const std::vector<JoinKey>& keys, bool right_side, const Batch& batch,
                                   const expr::EvalContext& eval);
// The key types and columns as GroupTable takes them: a struct key as its fields.
std::vector<DataType> flat_key_types(const std::vector<JoinKey>& keys);
std::vector<const Column*> flat_key_columns(const std::vector<ColumnRef>& columns);
// Whether row r has a null in a key compared with `=` (such a row matches nothing).
bool has_null_key(const std::vector<JoinKey>& keys, const std::vector<ColumnRef>& columns, uint32_t r);

// Copies rows[i] of each column; kNoMatch rows become nulls (an outer miss).
std::vector<ColumnRef> gather_rows(const std::vector<ColumnRef>& columns, size_t num_rows,
                                   const std::vector<uint32_t>& rows);

// keep[i] &= every condition is true (not null, not false) on row i of `batch`.
void and_conditions(const std::vector<std::unique_ptr<expr::Expression>>& conditions, const Batch& batch,
                    const expr::EvalContext& eval, std::vector<uint8_t>& keep);

// Keeps the pairs (left[i], right[i]) for which every residual conjunct is
// true; the pairs index rows of the two sides' columns.
void keep_residual(const JoinPlan& plan, const expr::EvalContext& eval,
                   const std::vector<ColumnRef>& left_columns, size_t left_rows,
                   const std::vector<ColumnRef>& right_columns, size_t right_rows,
                   std::vector<uint32_t>& left, std::vector<uint32_t>& right);

// The output batch of pairs (kNoMatch on a side: that side is null).
Batch output_pairs(const JoinPlan& plan, const std::vector<ColumnRef>& left_columns, size_t left_rows,
                   const std::vector<ColumnRef>& right_columns, size_t right_rows,
                   const std::vector<uint32_t>& left, const std::vector<uint32_t>& right);

// "a = b, c <=> d" for explain.
std::string describe_keys(const JoinPlan& plan);
std::string describe_residual(const JoinPlan& plan);

}  // namespace runnel::join
