// Batch: the unit of data flowing between operators — a set of equally long
// columns plus an optional selection vector.
//
// `sel`, when set, lists the physical rows (ascending) that are present; a
// filter sets it instead of copying columns. Consumers that need dense
// columns (expression evaluation) call dense(); writers iterate rows().
// Columns are shared (ColumnRef): passing a batch on never copies values.
#pragma once
#include <memory>
#include <vector>

#include "batch/column.hpp"
#include "types/data_type.hpp"

namespace runnel {

using SchemaRef = std::shared_ptr<const Schema>;

struct Batch {
  SchemaRef schema;
  std::vector<ColumnRef> columns;  // one per schema field
  size_t num_rows = 0;             // physical length of every column
  std::shared_ptr<const std::vector<uint32_t>> sel;

  size_t size() const { return sel ? sel->size() : num_rows; }
  bool empty() const { return size() == 0; }
  // Physical index of the i-th visible row.
  uint32_t row(size_t i) const { return sel ? (*sel)[i] : static_cast<uint32_t>(i); }
  // The same rows without a selection vector (copies only when sel is set).
  Batch dense() const;
  // An empty batch with this schema and freshly allocated builder columns.
  static Batch builder(SchemaRef schema, size_t capacity);
};

// Rows per batch produced by sources and readers. RUNNEL_BATCH_ROWS
// overrides it (CI runs the end-to-end suite with 1 to prove batch
// boundaries never change results).
size_t batch_rows();

}  // namespace runnel
