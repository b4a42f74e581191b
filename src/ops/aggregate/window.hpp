// Time windows for the aggregate step: window(ts, size[, slide[, start]]),
// Spark's tumbling (slide = size) and sliding windows. Windows are aligned
// to the epoch plus `start`, include their start and exclude their end, and
// a row belongs to every window that covers it. Instead of materialising a
// row per (row, window), the aggregate makes passes() passes over a batch;
// pass k assigns each row its k-th latest window.
#pragma once
#include <cstdint>
#include <string>

#include "batch/column.hpp"

namespace runnel {

struct WindowSpec {
  int64_t size_us = 0;
  int64_t slide_us = 0;
  int64_t start_us = 0;  // offset of the windows from the epoch

  // Throws Error(Config) with Spark's reason when the durations are invalid.
  void validate() const;
  // How many windows may cover one timestamp: ceil(size / slide).
  size_t passes() const { return static_cast<size_t>((size_us + slide_us - 1) / slide_us); }
  // Pass k over the timestamps ts[0..n): writes the k-th latest window start
  // of each row to starts[row], and the rows that window covers (ts not null)
  // to rows; returns how many rows it wrote.
  size_t assign(const Column& ts, size_t n, size_t k, int64_t* starts, uint32_t* rows) const;
  // "window(ts, 10 minutes, 5 minutes)" for explain.
  std::string describe(const std::string& column) const;
};

// Timestamps further than this from the epoch (about ±146,000 years) get no
// window, so window arithmetic can never overflow.
constexpr int64_t kMaxWindowedTimestamp = INT64_MAX / 4;

}  // namespace runnel
