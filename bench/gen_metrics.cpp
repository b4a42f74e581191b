// Deterministic NDJSON metrics generator for scripts/bench's aggregation
// benchmark: ~60-byte records like
//   {"ts":"2024-03-01T12:00:00.123Z","key":"k0417","value":57.25}
// Event time advances 10,000 records per second, each record up to 2 s out
// of order; keys are uniform over KEYS keys.
//   gen_metrics ROWS KEYS [SEED] > out.ndjson
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "random.hpp"

namespace {


constexpr int64_t kStartMs = 1709294400000;  // 2024-03-01T12:00:00Z
constexpr int64_t kRecordsPerSecond = 10000;
constexpr int64_t kMaxLatenessMs = 2000;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_metrics ROWS KEYS [SEED]\n");
    return 64;
  }
  const int64_t rows = std::strtoll(argv[1], nullptr, 10);
  const uint64_t keys = std::strtoull(argv[2], nullptr, 10);
  Random random{argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42};
  static char out[1 << 16];
  std::setvbuf(stdout, out, _IOFBF, sizeof out);
  for (int64_t i = 0; i < rows; ++i) {
    int64_t ms = kStartMs + i * 1000 / kRecordsPerSecond - static_cast<int64_t>(random.below(kMaxLatenessMs));
    std::time_t seconds = ms / 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    uint64_t value = random.below(100000);
    std::printf("{\"ts\":\"%s.%03dZ\",\"key\":\"k%04" PRIu64 "\",\"value\":%" PRIu64 ".%02" PRIu64 "}\n", ts,
                static_cast<int>(ms % 1000), random.below(keys), value / 100, value % 100);
  }
  return 0;
}
