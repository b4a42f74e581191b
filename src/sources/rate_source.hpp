// The rate source, after Spark's RateStreamProvider: `value` counts up from 0
// at rows_per_second (reached linearly over ramp_up_time), `timestamp` spreads
// each batch's rows evenly over the seconds the batch covers, starting at the
// source's start time. total_rows (runnel's extension) ends the stream after
// that many rows.
// Offsets: {"seconds": s since start, "value": next value, "start_ms": start time}.
#pragma once
#include <functional>
#include <memory>
#include <optional>

#include "sources/source.hpp"

namespace runnel {

struct RateOptions {
  int64_t rows_per_second = 1;
  int64_t ramp_up_seconds = 0;
  std::optional<int64_t> total_rows;
  std::function<int64_t()> now_ms;  // the clock; system clock when empty
};

const config::OptionTable& rate_source_options();
std::unique_ptr<Source> create_rate_source(const SourceContext& ctx);
std::unique_ptr<Source> make_rate_source(RateOptions options);

// Spark's valueAtSecond: the first value not yet emitted at `seconds` after the start.
int64_t rate_value_at_second(int64_t seconds, int64_t rows_per_second, int64_t ramp_up_seconds);

}  // namespace runnel
