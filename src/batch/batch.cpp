#include "batch/batch.hpp"

#include <cstdlib>

namespace runnel {

Batch Batch::dense() const {
  if (!sel) return *this;
  Batch out{schema, {}, sel->size(), nullptr};
  out.columns.reserve(columns.size());
  for (auto& c : columns) out.columns.push_back(c->gather(sel->data(), sel->size()));
  return out;
}

Batch Batch::builder(SchemaRef schema, size_t capacity) {
  Batch b{schema, {}, 0, nullptr};
  for (auto& f : schema->fields) b.columns.push_back(Column::make(f.type, capacity));
  return b;
}

size_t batch_rows() {
  static const size_t rows = [] {
    const char* env = std::getenv("RUNNEL_BATCH_ROWS");
    long v = env ? std::strtol(env, nullptr, 10) : 0;
    return v > 0 ? static_cast<size_t>(v) : size_t{4096};
  }();
  return rows;
}

}  // namespace runnel
