// Deterministic NDJSON click-log generator for scripts/bench: ~100-byte
// records like {"ts":"2024-03-01T12:00:00.123Z","user":"u123","url":"/checkout/42",
// "status":200,"bytes":1234,"ua":"Mozilla/5.0 (X11)"}.
//   gen_ndjson ROWS [SEED] > out.ndjson
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "random.hpp"

namespace {


const char* const kPaths[] = {"/", "/search", "/product", "/cart", "/checkout", "/account", "/help"};
const char* const kAgents[] = {"Mozilla/5.0 (X11)", "Mozilla/5.0 (Mac)", "curl/8.1", "Safari/17.0",
                               "Mozilla/5.0 (Win64)"};
const int kStatuses[] = {200, 200, 200, 200, 200, 200, 200, 304, 404, 500};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gen_ndjson ROWS [SEED]\n");
    return 64;
  }
  const uint64_t rows = std::strtoull(argv[1], nullptr, 10);
  Random random{argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 42};
  int64_t ms = 1709294400000;  // 2024-03-01T12:00:00Z
  for (uint64_t i = 0; i < rows; ++i) {
    ms += static_cast<int64_t>(random.below(20));
    const int64_t secs = ms / 1000;
    const int day = static_cast<int>(secs / 86400 - 19783);  // days since 2024-03-01
    const int sod = static_cast<int>(secs % 86400);
    char buffer[256];
    const int n = std::snprintf(
        buffer, sizeof buffer,
        "{\"ts\":\"2024-03-%02dT%02d:%02d:%02d.%03dZ\",\"user\":\"u%" PRIu64 "\",\"url\":\"%s/%" PRIu64
        "\",\"status\":%d,\"bytes\":%" PRIu64 ",\"ua\":\"%s\"}\n",
        1 + day % 28, sod / 3600, sod / 60 % 60, sod % 60, static_cast<int>(ms % 1000), random.below(10000),
        kPaths[random.below(7)], random.below(1000), kStatuses[random.below(10)], random.below(20000),
        kAgents[random.below(5)]);
    std::fwrite(buffer, 1, static_cast<size_t>(n), stdout);
  }
  return 0;
}
