#include "formats/row_batcher.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace runnel {

void truncate_column(Column& column, size_t rows) {
  if (column.size() <= rows) return;
  if (column.id() == TypeId::Array) truncate_column(*column.children()[0], column.offsets()[rows]);
  if (column.id() == TypeId::Struct)
    for (auto& child : column.children()) truncate_column(*child, rows);
  column.resize(rows);
}

RowBatcher::RowBatcher(SchemaRef schema, BadRecords& bad, size_t rows_per_batch)
    : schema_(std::move(schema)), bad_(bad), rows_per_batch_(rows_per_batch ? rows_per_batch : batch_rows()) {
  for (size_t i = 0; i < schema_->size(); ++i) {
    const Field& field = (*schema_)[i];
    if (field.name != kCorruptRecordColumn) {
      data_columns_.push_back(i);
      continue;
    }
    if (field.type.id != TypeId::String)
      fail(ErrorKind::Config, "column '" + field.name + "' receives malformed records and must be of type string, not " +
                                  field.type.to_string());
    corrupt_ = i;
  }
  start_batch();
}

void RowBatcher::start_batch() {
  batch_ = Batch::builder(schema_, std::min<size_t>(rows_per_batch_, 4096));
  ++generation_;
}

void RowBatcher::discard_row() {
  for (auto& column : batch_.columns) truncate_column(*column, batch_.num_rows);
}

void RowBatcher::end_bad_row(const Origin& origin, uint64_t line, uint64_t column, std::string_view reason,
                             std::string_view raw, bool partial, const Emit& out) {
  bad_.report(origin, line, column, reason, raw);  // throws under fail_fast
  if (bad_.mode() == ParseMode::DropMalformed) {
    discard_row();
    return;
  }
  if (!partial) {
    discard_row();
    for (size_t i : data_columns_) batch_.columns[i]->append_null();
  }
  if (corrupt_ != kNoColumn) batch_.columns[corrupt_]->append_string(raw);
  finish_row(out);
}

void RowBatcher::flush(const Emit& out) {
  if (batch_.num_rows == 0) return;
  out(batch_);
  start_batch();
}

}  // namespace runnel
