// Time unit constants and overflow-safe arithmetic on microseconds, shared by
// the datetime functions and pattern formatting (private to src/functions/).
#pragma once
#include <cstdint>

namespace runnel::fn {

constexpr int64_t kMicrosPerMilli = 1'000;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// Microseconds since midnight; floor semantics without the intermediate
// product that overflows at the int64 extremes.
inline int64_t micros_of_day(int64_t micros) {
  int64_t r = micros % kMicrosPerDay;
  return r < 0 ? r + kMicrosPerDay : r;
}

// a * b wrapping as Java's long arithmetic does (Spark does not check there).
inline int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

}  // namespace runnel::fn
