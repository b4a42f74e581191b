#include <doctest.h>

#include "kafka/offsets.hpp"

using namespace runnel::kafka;

namespace {

PartitionOffsets offsets(std::initializer_list<std::pair<int32_t, int64_t>> list) {
  PartitionOffsets o;
  for (auto [p, offset] : list) o[{"t", p}] = offset;
  return o;
}

}  // namespace

TEST_CASE("kafka offsets: Spark's JSON form, both ways") {
  PartitionOffsets o = offsets({{0, 23}, {1, -1}, {10, 5}});
  o[{"u", 2}] = 7;
  nlohmann::json j = offsets_to_json(o);
  CHECK(j.dump() == R"({"t":{"0":23,"1":-1,"10":5},"u":{"2":7}})");
  CHECK(offsets_from_json(j) == o);
  CHECK_THROWS_AS(offsets_from_json(nlohmann::json::parse(R"({"t": 3})")), nlohmann::json::exception);
  CHECK_THROWS_AS(offsets_from_json(nlohmann::json::parse(R"({"t": {"0": "x"}})")),
                  nlohmann::json::exception);
}

TEST_CASE("kafka rate limit: the limit split in proportion to each partition's lag") {
  // lags 7 and 2, limit 4: 4*7/9 = 3.1 -> 3, 4*2/9 = 0.9 -> 1 (a share below 1 rounds up).
  CHECK(rate_limit(offsets({{0, 0}, {1, 0}}), offsets({{0, 7}, {1, 2}}), 4) == offsets({{0, 3}, {1, 1}}));
  // lags 60, 30, 10, limit 10: 6, 3, 1.
  CHECK(rate_limit(offsets({{0, 100}, {1, 0}, {2, 5}}), offsets({{0, 160}, {1, 30}, {2, 15}}), 10) ==
        offsets({{0, 106}, {1, 3}, {2, 6}}));
  // Shares of 1.5 round down, so the batch may take fewer than the limit.
  CHECK(rate_limit(offsets({{0, 0}, {1, 0}}), offsets({{0, 5}, {1, 5}}), 3) == offsets({{0, 1}, {1, 1}}));
}

TEST_CASE("kafka rate limit: never past the latest offset, nothing to limit without lag") {
  // Tiny lags among big ones round up to 1 each, but never past their end.
  CHECK(rate_limit(offsets({{0, 0}, {1, 0}}), offsets({{0, 1000}, {1, 1}}), 10) == offsets({{0, 9}, {1, 1}}));
  CHECK(rate_limit(offsets({{0, 4}, {1, 9}}), offsets({{0, 4}, {1, 9}}), 10) == offsets({{0, 4}, {1, 9}}));
  // Under the limit everything is taken.
  CHECK(rate_limit(offsets({{0, 0}, {1, 0}}), offsets({{0, 2}, {1, 3}}), 100) == offsets({{0, 2}, {1, 3}}));
  // A partition without a start (it appeared since) is not limited.
  CHECK(rate_limit(offsets({{0, 0}}), offsets({{0, 10}, {1, 50}}), 5) == offsets({{0, 5}, {1, 50}}));
  // No overflow near the end of the offset range.
  CHECK(rate_limit(offsets({{0, INT64_MAX - 2}}), offsets({{0, INT64_MAX}}), 5) == offsets({{0, INT64_MAX}}));
}
