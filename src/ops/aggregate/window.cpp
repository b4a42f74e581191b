#include "ops/aggregate/window.hpp"

#include "base/error.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

std::string duration_text(int64_t us) {
  struct Unit {
    int64_t us;
    const char* name;
  };
  static constexpr Unit units[] = {{86'400'000'000, "day"}, {3'600'000'000, "hour"}, {60'000'000, "minute"},
                                   {1'000'000, "second"},    {1'000, "millisecond"},    {1, "microsecond"}};
  for (const Unit& u : units)
    if (us % u.us == 0) return std::to_string(us / u.us) + " " + u.name + (us / u.us == 1 ? "" : "s");
  return std::to_string(us) + " microseconds";
}

}  // namespace

void WindowSpec::validate() const {
  if (size_us <= 0) fail(ErrorKind::Config, "The window duration must be greater than 0");
  if (slide_us <= 0) fail(ErrorKind::Config, "The slide duration must be greater than 0");
  if (size_us > kMaxWindowedTimestamp) fail(ErrorKind::Config, "The window duration is too large");
  if (slide_us > size_us)
    fail(ErrorKind::Config, "The slide duration (" + duration_text(slide_us) +
                                ") must be less than or equal to the windowDuration (" + duration_text(size_us) + ")");
  if (start_us >= slide_us || -start_us >= slide_us)
    fail(ErrorKind::Config, "The absolute value of start time (" + duration_text(start_us < 0 ? -start_us : start_us) +
                                ") must be less than the slideDuration (" + duration_text(slide_us) + ")");
}

size_t WindowSpec::assign(const Column& ts, size_t n, size_t k, int64_t* starts, uint32_t* rows) const {
  const int64_t* micros = ts.data<int64_t>();
  const int64_t back = static_cast<int64_t>(k) * slide_us;
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t t = micros[i];
    bool in_range = t > -kMaxWindowedTimestamp && t < kMaxWindowedTimestamp;
    int64_t clamped = in_range ? t : 0;
    int64_t start = clamped - floor_mod(clamped - start_us, slide_us) - back;
    starts[i] = start;
    rows[count] = static_cast<uint32_t>(i);
    count += in_range & (clamped < start + size_us) & ts.is_valid(i);
  }
  return count;
}

std::string WindowSpec::describe(const std::string& column) const {
  std::string s = "window(" + column + ", " + duration_text(size_us);
  if (slide_us != size_us || start_us != 0) s += ", " + duration_text(slide_us);
  if (start_us != 0) s += ", " + duration_text(start_us);
  return s + ")";
}

}  // namespace runnel
