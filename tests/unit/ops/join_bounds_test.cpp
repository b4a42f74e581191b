// The state-eviction bounds a stream-stream join derives from its condition
// (Spark's StreamingJoinHelper.getStateValueWatermark): which conjuncts bound
// a side, the offset from the watermark, Spark's 1 ms less for <= and >=,
// and the smallest of several bounds.
#include "ops/join_bounds.hpp"

#include <doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "expr/expression.hpp"

using namespace runnel;

namespace {

constexpr int64_t kSecond = 1'000'000;

// Pair schema: left (lt, lk, lx), right (rt, rk): lt and rt are the watermarked columns.
std::optional<int64_t> bound(const std::vector<std::string>& conjuncts, bool right_side) {
  Schema pair{{{"lt", DataType::of(TypeId::Timestamp)},
               {"lk", DataType::of(TypeId::Int)},
               {"lx", DataType::of(TypeId::Timestamp)},
               {"rt", DataType::of(TypeId::Timestamp)},
               {"rk", DataType::of(TypeId::Int)}}};
  std::vector<expr::AstPtr> asts;
  for (auto& c : conjuncts) asts.push_back(expr::parse(c));
  return join::state_value_offset_us(asts, pair, 3, right_side, right_side ? 0 : 3);
}

}  // namespace

TEST_CASE("a time range bounds both sides, one millisecond less for the inclusive ends") {
  const std::vector<std::string> range{"lt BETWEEN rt - INTERVAL 5 SECONDS AND rt + INTERVAL 5 SECONDS"};
  CHECK(bound(range, false) == -5 * kSecond - 1000);
  CHECK(bound(range, true) == -5 * kSecond - 1000);
  const std::vector<std::string> pairs{"lt >= rt - INTERVAL 5 SECONDS", "lt <= rt + INTERVAL 10 SECONDS"};
  CHECK(bound(pairs, false) == -5 * kSecond - 1000);
  CHECK(bound(pairs, true) == -10 * kSecond - 1000);
}

TEST_CASE("a one-sided condition bounds only the side it bounds from below") {
  // Spark's guide: clicks within an hour after the impression (left: impressions).
  const std::vector<std::string> guide{"rt >= lt", "rt <= lt + INTERVAL 1 HOUR"};
  CHECK(bound(guide, false) == -3600 * kSecond - 1000);
  CHECK(bound(guide, true) == -1000);
  CHECK(bound({"lt > rt"}, false) == 0);
  CHECK(bound({"lt > rt"}, true) == std::nullopt);
  CHECK(bound({"lt < rt + INTERVAL 1 MINUTE"}, true) == -60 * kSecond);
  CHECK(bound({"rt + INTERVAL 2 SECONDS < lt"}, false) == 2 * kSecond);
}

TEST_CASE("several bounds on one side: the smallest (the row is kept for the longest)") {
  CHECK(bound({"lt > rt - INTERVAL 1 MINUTE", "lt > rt - INTERVAL 2 MINUTES"}, false) == -120 * kSecond);
}

TEST_CASE("conditions that bound nothing") {
  CHECK(bound({"lk > rk"}, false) == std::nullopt);                      // not the watermarked column
  CHECK(bound({"lt > rt + rt"}, false) == std::nullopt);                 // two terms of the other side
  CHECK(bound({"lt + lx > rt"}, false) == std::nullopt);                 // two terms of the state side
  CHECK(bound({"lt = rt + INTERVAL 1 SECOND"}, false) == std::nullopt);  // an equality is not a range
  CHECK(bound({"lt NOT BETWEEN rt AND rt"}, false) == std::nullopt);
  CHECK(bound({"lx > rt"}, false) == 0);  // any column of the state side, as Spark's solver takes
}
