// How long a stream-stream join keeps each side's rows (Spark's
// StreamingSymmetricHashJoinHelper.getStateWatermarkPredicates and
// StreamingJoinHelper.getStateValueWatermark).
//
// A buffered row can go once no future row of the other side can match it.
// Future rows of the other side are newer than the watermark W (older ones
// are dropped as late), so:
//   - an equality key on an event-time column (a watermarked timestamp, or a
//     window of one) evicts a row of either side whose key (a window's end)
//     is <= W;
//   - else a conjunct of the condition that bounds this side's time from
//     below by the other side's watermarked column, e.g. `lt > rt + c` or
//     `lt >= rt + c` (also from `lt BETWEEN rt - a AND rt + b`), evicts a
//     row whose event time is <= W + c (W + c - 1 ms for >=, as Spark's
//     millisecond arithmetic); several such conjuncts: the smallest bound.
// Time expressions are sums of one column of each side and INTERVAL literals.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "expr/ast.hpp"
#include "types/data_type.hpp"

namespace runnel::join {

// The conjuncts' bound on the rows of one side, as the offset c of "evict at
// event time <= watermark + c" (microseconds); nullopt when they give none.
// Names in the conjuncts are those of `pair` (the left side's columns, then
// the right's, from left_width on); `other_event_time` is the index in
// `pair` of the other side's watermarked column.
std::optional<int64_t> state_value_offset_us(const std::vector<expr::AstPtr>& conjuncts, const Schema& pair,
                                             size_t left_width, bool state_is_right, size_t other_event_time);

}  // namespace runnel::join
