// RowBatcher: what every record reader shares — building a batch row by row,
// emitting it when it holds rows_per_batch rows, and applying the source's
// mode to a malformed record (contract: "Sources", mode and dead_letter).
//
// A reader fills one value into every data column for each record, then calls
// end_row() or end_bad_row(). The `_corrupt_record` column, when the schema
// declares it, is never a data column: the batcher fills it.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "formats/format.hpp"

namespace runnel {

// Cuts `column` back to its first `rows` rows (nested children included).
void truncate_column(Column& column, size_t rows);

class RowBatcher {
 public:
  static constexpr size_t kNoColumn = static_cast<size_t>(-1);

  // Throws Error(Config) when `_corrupt_record` is declared with a type other than string.
  RowBatcher(SchemaRef schema, BadRecords& bad, size_t rows_per_batch);

  const Schema& schema() const { return *schema_; }
  // Schema indexes of the data columns (all but `_corrupt_record`), in schema order.
  const std::vector<size_t>& data_columns() const { return data_columns_; }
  Column& column(size_t schema_index) { return *batch_.columns[schema_index]; }
  ColumnRef& column_ref(size_t schema_index) { return batch_.columns[schema_index]; }
  // Rows completed in the batch being built (= index of the row being filled).
  size_t rows() const { return batch_.num_rows; }
  // Changes whenever a new batch (new columns) is started.
  uint64_t generation() const { return generation_; }

  void end_row(const Emit& out) {
    if (corrupt_ != kNoColumn) batch_.columns[corrupt_]->append_null();
    finish_row(out);
  }
  // A malformed record whose data columns are filled: reports it (throws under
  // fail_fast), then drops it (drop_malformed) or keeps it with its raw text in
  // `_corrupt_record` (permissive). `partial`: keep the values converted so far
  // (Spark's partial results); otherwise the row becomes all nulls.
  void end_bad_row(const Origin& origin, uint64_t line, uint64_t column, std::string_view reason,
                   std::string_view raw, bool partial, const Emit& out);
  // Undoes the values filled for the current row so far.
  void discard_row();
  // Emits the rows built so far, if any.
  void flush(const Emit& out);

 private:
  void finish_row(const Emit& out) {
    if (++batch_.num_rows == rows_per_batch_) flush(out);
  }
  void start_batch();

  SchemaRef schema_;
  BadRecords& bad_;
  size_t rows_per_batch_;
  size_t corrupt_ = kNoColumn;
  std::vector<size_t> data_columns_;
  Batch batch_;
  uint64_t generation_ = 0;
};

}  // namespace runnel
