#include "ops/aggregate/hll.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "ops/aggregate/hll_bias_data.hpp"
#include "state/codec.hpp"

namespace runnel::hll {

namespace {

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

uint64_t read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint32_t read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

uint64_t round(uint64_t acc, uint64_t lane) { return std::rotl(acc + lane * kPrime2, 31) * kPrime1; }

uint64_t merge_round(uint64_t hash, uint64_t acc) { return (hash ^ round(0, acc)) * kPrime1 + kPrime4; }

uint64_t mix_long(uint64_t hash, uint64_t lane) { return std::rotl(hash ^ round(0, lane), 27) * kPrime1 + kPrime4; }

uint64_t mix_int(uint64_t hash, uint32_t lane) { return std::rotl(hash ^ (lane * kPrime1), 23) * kPrime2 + kPrime3; }

uint64_t avalanche(uint64_t hash) {
  hash ^= hash >> 33;
  hash *= kPrime2;
  hash ^= hash >> 29;
  hash *= kPrime3;
  hash ^= hash >> 32;
  return hash;
}

// Spark's linear-counting thresholds, per precision 4..18.
constexpr double kThresholds[] = {10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 15500, 20000, 50000, 120000, 350000};
constexpr int kNeighbours = 6;  // K: raw estimates averaged for the bias

// java.util.Arrays.binarySearch(double[], key): the tables are not strictly
// sorted everywhere, so the same probe sequence is needed for the same answer.
ptrdiff_t java_binary_search(const double* a, size_t n, double key) {
  ptrdiff_t low = 0, high = static_cast<ptrdiff_t>(n) - 1;
  while (low <= high) {
    const ptrdiff_t mid = (low + high) >> 1;
    const double value = a[mid];
    if (value < key) {
      low = mid + 1;
    } else if (value > key) {
      high = mid - 1;
    } else {
      const auto mid_bits = std::bit_cast<int64_t>(value), key_bits = std::bit_cast<int64_t>(key);
      if (mid_bits == key_bits) return mid;
      if (mid_bits < key_bits) low = mid + 1;
      else high = mid - 1;
    }
  }
  return -(low + 1);
}

double estimate_bias(double e, int p) {
  const BiasTable table = bias_table(p);
  const auto n = static_cast<ptrdiff_t>(table.size);
  ptrdiff_t nearest = java_binary_search(table.raw_estimates, table.size, e);
  if (nearest < 0) nearest = -(nearest + 1);
  auto distance = [&](ptrdiff_t i) {
    const double diff = e - table.raw_estimates[i];
    return diff * diff;
  };
  ptrdiff_t low = std::max<ptrdiff_t>(nearest - kNeighbours + 1, 0);
  ptrdiff_t high = std::min<ptrdiff_t>(low + kNeighbours, n);
  while (high < n && distance(high) < distance(low)) {
    ++low;
    ++high;
  }
  double sum = 0.0;
  for (ptrdiff_t i = low; i < high; ++i) sum += table.biases[i];
  return sum / static_cast<double>(high - low);
}

// Java's Math.round for a non-negative double (half up).
int64_t java_round(double x) {
  const double floor = std::floor(x);
  return static_cast<int64_t>(x - floor >= 0.5 ? floor + 1 : floor);
}

}  // namespace

uint64_t xxhash64(const void* data, size_t length, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + length;
  uint64_t hash;
  if (length >= 32) {
    uint64_t v1 = seed + kPrime1 + kPrime2, v2 = seed + kPrime2, v3 = seed, v4 = seed - kPrime1;
    for (; end - p >= 32; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    hash = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    for (uint64_t v : {v1, v2, v3, v4}) hash = merge_round(hash, v);
  } else {
    hash = seed + kPrime5;
  }
  hash += length;
  for (; end - p >= 8; p += 8) hash = mix_long(hash, read64(p));
  if (end - p >= 4) {
    hash = mix_int(hash, read32(p));
    p += 4;
  }
  for (; p < end; ++p) hash = std::rotl(hash ^ (*p * kPrime5), 11) * kPrime1;
  return avalanche(hash);
}

uint64_t xxhash64_int(int32_t value, uint64_t seed) {
  return avalanche(mix_int(seed + kPrime5 + 4, static_cast<uint32_t>(value)));
}

uint64_t xxhash64_long(int64_t value, uint64_t seed) {
  return avalanche(mix_long(seed + kPrime5 + 8, static_cast<uint64_t>(value)));
}

int precision_for(double relative_sd, std::string& error) {
  const double p = std::ceil(2.0 * std::log(1.106 / relative_sd) / std::log(2.0));
  if (!(relative_sd > 0) || !(p >= 4)) {
    error = "HLL++ requires at least 4 bits for addressing. Use a lower error, at most 39%.";
    return 0;
  }
  if (p > kMaxPrecision) {
    error = "relative standard deviation " + std::to_string(relative_sd) +
            " is below what runnel supports (0.001, which takes 2^21 registers per group)";
    return 0;
  }
  return static_cast<int>(p);
}

int64_t estimate(const uint8_t* registers, int p) {
  const int m = 1 << p;
  double z_inverse = 0.0, zeros = 0.0;
  for (int i = 0; i < m; ++i) {  // in register order: the sum's rounding must match Spark's
    z_inverse += std::ldexp(1.0, -registers[i]);
    zeros += registers[i] == 0;
  }
  double alpha_m2;
  switch (p) {
    case 4: alpha_m2 = 0.673 * m * m; break;
    case 5: alpha_m2 = 0.697 * m * m; break;
    case 6: alpha_m2 = 0.709 * m * m; break;
    default: alpha_m2 = (0.7213 / (1.0 + 1.079 / m)) * m * m; break;
  }
  const double e = alpha_m2 / z_inverse;
  auto bias_corrected = [&] { return p < 19 && e < 5.0 * m ? e - estimate_bias(e, p) : e; };
  double result;
  if (zeros > 0) {
    const double linear = m * std::log(m / zeros);  // linear counting
    result = (p < 19 && linear <= kThresholds[p - 4]) || e <= 2.5 * m ? linear : bias_corrected();
  } else {
    result = bias_corrected();
  }
  return java_round(result);
}

}  // namespace runnel::hll

namespace runnel {

namespace {

constexpr uint64_t kSeed = 42;

// Spark's hash of one value of physical type T (NormalizeFloatingNumbers first for floats).
template <class T>
uint64_t spark_hash(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return hll::xxhash64(value.data(), value.size(), kSeed);
  } else if constexpr (std::is_same_v<T, double>) {
    const double normal = std::isnan(value) ? std::numeric_limits<double>::quiet_NaN() : value == 0.0 ? 0.0 : value;
    return hll::xxhash64_long(std::bit_cast<int64_t>(normal), kSeed);
  } else if constexpr (std::is_same_v<T, float>) {
    const float normal = std::isnan(value) ? std::numeric_limits<float>::quiet_NaN() : value == 0.0f ? 0.0f : value;
    return hll::xxhash64_int(std::bit_cast<int32_t>(normal), kSeed);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return hll::xxhash64_long(value, kSeed);
  } else {  // int32_t, and uint8_t booleans hashed as the int 0 or 1
    return hll::xxhash64_int(static_cast<int32_t>(value), kSeed);
  }
}

template <class T>
class ApproxCountDistinctAccumulator final : public Accumulator {
 public:
  explicit ApproxCountDistinctAccumulator(int p) : p_(p), m_(size_t{1} << p) {}
  const DataType& result_type() const override { return type_; }
  void resize(size_t groups) override { registers_.resize(groups * m_, 0); }
  void update(const Column* values, const uint32_t* rows, const uint32_t* groups, size_t n) override {
    const uint64_t padding = uint64_t{1} << (p_ - 1);  // bounds the leading zeros of the rest
    for_each_value<T>(*values, rows, groups, n, [&](uint32_t g, T value) {
      const uint64_t x = spark_hash(value);
      const size_t index = static_cast<size_t>(x >> (64 - p_));
      const auto rank = static_cast<uint8_t>(std::countl_zero((x << p_) | padding) + 1);
      uint8_t& reg = registers_[g * m_ + index];
      reg = std::max(reg, rank);
    });
  }
  ColumnRef result(const uint32_t* groups, size_t n) const override {
    auto out = Column::make(type_, n);
    out->resize(n);
    for (size_t i = 0; i < n; ++i) out->data<int64_t>()[i] = hll::estimate(&registers_[groups[i] * m_], p_);
    return out;
  }
  // The union of two sketches: each register's maximum (Spark's HLL++ merge).
  bool can_merge() const override { return true; }
  void merge(const uint32_t* dst, const uint32_t* src, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      uint8_t* into = &registers_[dst[i] * m_];
      const uint8_t* from = &registers_[src[i] * m_];
      for (size_t r = 0; r < m_; ++r) into[r] = std::max(into[r], from[r]);
    }
  }
  void compact(const std::vector<uint32_t>& kept) override {
    for (size_t i = 0; i < kept.size(); ++i)
      std::memmove(&registers_[i * m_], &registers_[kept[i] * m_], m_);  // kept[i] >= i
    registers_.resize(kept.size() * m_);
  }
  size_t memory_bytes() const override { return registers_.capacity(); }
  void encode(uint32_t g, std::string& out) const override {
    out.append(reinterpret_cast<const char*>(&registers_[g * m_]), m_);
  }
  void decode(uint32_t g, std::string_view& in) override {
    if (in.size() < m_) fail(ErrorKind::Internal, "corrupt state value: truncated HyperLogLog registers");
    std::memcpy(&registers_[g * m_], in.data(), m_);
    in.remove_prefix(m_);
  }

 private:
  int p_;
  size_t m_;
  DataType type_ = DataType::of(TypeId::Long);
  std::vector<uint8_t> registers_;  // m_ per group
};

}  // namespace

std::unique_ptr<Accumulator> make_approx_count_distinct(const DataType& input, int p) {
  switch (input.id) {
    case TypeId::Boolean: return std::make_unique<ApproxCountDistinctAccumulator<uint8_t>>(p);
    case TypeId::Int:
    case TypeId::Date: return std::make_unique<ApproxCountDistinctAccumulator<int32_t>>(p);
    case TypeId::Long:
    case TypeId::Timestamp: return std::make_unique<ApproxCountDistinctAccumulator<int64_t>>(p);
    case TypeId::Float: return std::make_unique<ApproxCountDistinctAccumulator<float>>(p);
    case TypeId::Double: return std::make_unique<ApproxCountDistinctAccumulator<double>>(p);
    case TypeId::String:
    case TypeId::Binary: return std::make_unique<ApproxCountDistinctAccumulator<std::string_view>>(p);
    default: return nullptr;
  }
}

}  // namespace runnel
