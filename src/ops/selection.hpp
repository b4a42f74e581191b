// Helpers for operators that evaluate expressions over batches that may
// carry a selection vector.
#pragma once
#include <vector>

#include "batch/batch.hpp"

namespace runnel {

// A dense view of `batch` for evaluating expressions that read only `inputs`:
// those columns are gathered through the selection vector, the others are
// left as they are (expressions never read them). Without a selection the
// batch is returned unchanged.
inline Batch dense_inputs(const Batch& batch, const std::vector<size_t>& inputs) {
  if (!batch.sel) return batch;
  Batch dense{batch.schema, batch.columns, batch.sel->size(), nullptr};
  for (size_t i : inputs) dense.columns[i] = batch.columns[i]->gather(batch.sel->data(), batch.sel->size());
  return dense;
}

}  // namespace runnel
