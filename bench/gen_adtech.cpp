// Deterministic NDJSON ad impressions and clicks for scripts/bench's join
// benchmark. Impressions advance 10,000 per second of event time, ads uniform
// over 100,000 ids; every tenth impression is clicked 0-60 s after it (the
// others never are). Clicks come out in click-time order.
//   gen_adtech impressions ROWS [SEED] > impressions.ndjson
//     {"ad_id":4711,"imp_time":"2024-03-01T12:00:00.123Z","campaign":"c11"}
//   gen_adtech clicks ROWS [SEED] > clicks.ndjson   (the clicks of those ROWS impressions)
//     {"click_ad_id":4711,"click_time":"2024-03-01T12:00:31.456Z"}
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "random.hpp"

namespace {


constexpr int64_t kStartMs = 1709294400000;  // 2024-03-01T12:00:00Z
constexpr int64_t kImpressionsPerSecond = 10000;
constexpr uint64_t kAds = 100000;

void print_time(int64_t ms) {
  std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::printf("%s.%03dZ", ts, static_cast<int>(ms % 1000));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::strcmp(argv[1], "impressions") != 0 && std::strcmp(argv[1], "clicks") != 0)) {
    std::fprintf(stderr, "usage: gen_adtech impressions|clicks ROWS [SEED]\n");
    return 64;
  }
  const bool impressions = std::strcmp(argv[1], "impressions") == 0;
  const int64_t rows = std::strtoll(argv[2], nullptr, 10);
  Random random{argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42};
  static char out[1 << 16];
  std::setvbuf(stdout, out, _IOFBF, sizeof out);
  std::vector<std::pair<int64_t, uint64_t>> clicks;  // (click time, ad)
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t ms = kStartMs + i * 1000 / kImpressionsPerSecond;
    const uint64_t ad = random.below(kAds), delay = random.below(60001);
    if (impressions) {
      std::printf("{\"ad_id\":%" PRIu64 ",\"imp_time\":\"", ad);
      print_time(ms);
      std::printf("\",\"campaign\":\"c%" PRIu64 "\"}\n", ad % 50);
    } else if (i % 10 == 0) {
      clicks.emplace_back(ms + static_cast<int64_t>(delay), ad);
    }
  }
  std::sort(clicks.begin(), clicks.end());
  for (auto& [ms, ad] : clicks) {
    std::printf("{\"click_ad_id\":%" PRIu64 ",\"click_time\":\"", ad);
    print_time(ms);
    std::printf("\"}\n");
  }
  return 0;
}
