// Helpers for operator unit tests: one micro-batch through an operator, its
// output as sorted lines of text.
#pragma once
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "ops/operator.hpp"

namespace runnel::test {

// Row i of `b` as its columns joined by '|': null as "null", strings as they
// are, doubles by std::to_string, other types as integers.
inline std::string row_text(const Batch& b, size_t i) {
  std::string row;
  for (auto& c : b.columns) {
    row += row.empty() ? "" : "|";
    if (c->is_null(i)) row += "null";
    else if (c->id() == TypeId::String) row += std::string(c->data<std::string_view>()[i]);
    else if (c->id() == TypeId::Double) row += std::to_string(c->data<double>()[i]);
    else row += std::to_string(c->data<int64_t>()[i]);
  }
  return row;
}

// Pushes `input` as micro-batch `batch_id` and ends it; every emitted row
// (its physical index, under the batch's selection) through `text`, sorted.
inline std::vector<std::string> run_batch(Operator& op, Batch input, int64_t batch_id = 0,
                                          const std::function<std::string(const Batch&, size_t)>& text = row_text) {
  BatchContext ctx;
  ctx.batch_id = batch_id;
  std::vector<std::string> rows;
  Emit out = [&](Batch& b) {
    for (size_t i = 0; i < b.size(); ++i) rows.push_back(text(b, b.row(i)));
  };
  op.push(ctx, input, out);
  op.end_batch(ctx, out);
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace runnel::test
