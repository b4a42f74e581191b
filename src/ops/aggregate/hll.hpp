// approx_count_distinct(x[, rsd]): Spark's HyperLogLog++ (HyperLogLogPlusPlus),
// reproduced so that runnel returns the very estimate Spark returns.
//
// Each value is hashed as Spark hashes it — XxHash64 with seed 42 over its
// binary form: int/date (and boolean as 0/1) as a 4-byte int, long/timestamp
// as an 8-byte long, float/double by their IEEE bits after turning -0.0 into
// 0.0 and every NaN into the canonical NaN, strings and binaries by their
// bytes (UTF-8). The top p bits of the hash pick one of m = 2^p registers,
// which keeps the largest "leading zeros of the rest + 1" seen. p comes from
// the requested relative standard deviation (default 0.05 -> p = 9) by
// Spark's formula ceil(2 log2(1.106 / rsd)). The estimate uses linear
// counting below Spark's per-precision thresholds and the empirical bias
// correction (k = 6 nearest neighbours) below 5m, exactly as Spark's
// HyperLogLogPlusPlusHelper.query; the result is a bigint, 0 without values.
// Nulls are skipped. State: one byte per register per group (Spark packs
// 6-bit registers; the estimate is the same).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ops/aggregate/accumulator.hpp"

namespace runnel::hll {

constexpr double kDefaultRelativeSd = 0.05;
constexpr int kMaxPrecision = 21;  // 2 MiB of registers per group; Spark has no cap (rsd >= 0.001 fits)

// XXH64 as Spark's XXH64 class computes it (little-endian reads).
uint64_t xxhash64(const void* data, size_t length, uint64_t seed);
uint64_t xxhash64_int(int32_t value, uint64_t seed);   // the 4 bytes of value
uint64_t xxhash64_long(int64_t value, uint64_t seed);  // the 8 bytes of value

// Spark's precision for a relative standard deviation: ceil(2 log2(1.106 / rsd)).
// Returns 0 with `error` set when rsd is not usable.
int precision_for(double relative_sd, std::string& error);

// The estimate over the 2^p registers, as HyperLogLogPlusPlusHelper.query.
int64_t estimate(const uint8_t* registers, int p);

}  // namespace runnel::hll

namespace runnel {

// An approx_count_distinct accumulator with 2^p registers per group, or
// nullptr when `input` is not a flat type.
std::unique_ptr<Accumulator> make_approx_count_distinct(const DataType& input, int p);

}  // namespace runnel
