// hash(...): Spark's Murmur3Hash — Murmur3 x86_32 with seed 42, each
// argument's hash the seed of the next, NULLs skipped (the seed passes
// through). Per type as Spark's HashExpression: booleans and ints hash as
// int, longs and timestamps as long, -0.0 as 0.0, strings and binary with
// Murmur3_x86_32.hashUnsafeBytes (whose tail bytes are mixed one at a time,
// sign-extended — not the reference Murmur3 tail), arrays and structs
// element by element.
#include <cstring>
#include <limits>

#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;
constexpr int32_t kSparkSeed = 42;

inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t mix_k1(uint32_t k1) { return rotl(k1 * kC1, 15) * kC2; }

inline uint32_t mix_h1(uint32_t h1, uint32_t k1) { return rotl(h1 ^ k1, 13) * 5 + 0xe6546b64; }

inline int32_t finish(uint32_t h1, uint32_t length) {
  h1 ^= length;
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6b;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35;
  h1 ^= h1 >> 16;
  return static_cast<int32_t>(h1);
}

inline int32_t hash_int(int32_t v, int32_t seed) {
  return finish(mix_h1(static_cast<uint32_t>(seed), mix_k1(static_cast<uint32_t>(v))), 4);
}

inline int32_t hash_long(int64_t v, int32_t seed) {
  auto bits = static_cast<uint64_t>(v);
  uint32_t h1 = mix_h1(static_cast<uint32_t>(seed), mix_k1(static_cast<uint32_t>(bits)));
  h1 = mix_h1(h1, mix_k1(static_cast<uint32_t>(bits >> 32)));
  return finish(h1, 8);
}

int32_t hash_bytes(std::string_view s, int32_t seed) {
  auto h1 = static_cast<uint32_t>(seed);
  const size_t aligned = s.size() - s.size() % 4;
  for (size_t i = 0; i < aligned; i += 4) {
    uint32_t word;
    std::memcpy(&word, s.data() + i, 4);  // little-endian, as Platform.getInt on x86
    h1 = mix_h1(h1, mix_k1(word));
  }
  for (size_t i = aligned; i < s.size(); ++i)
    h1 = mix_h1(h1, mix_k1(static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(s[i])))));
  return finish(h1, static_cast<uint32_t>(s.size()));
}

inline int32_t hash_double(double d, int32_t seed) {
  if (d == 0) d = 0;                                         // -0.0 hashes as 0.0
  if (d != d) d = std::numeric_limits<double>::quiet_NaN();  // Java's canonical NaN bits
  int64_t bits;
  std::memcpy(&bits, &d, 8);
  return hash_long(bits, seed);
}

inline int32_t hash_float(float f, int32_t seed) {
  if (f == 0) f = 0;
  if (f != f) f = std::numeric_limits<float>::quiet_NaN();
  int32_t bits;
  std::memcpy(&bits, &f, 4);
  return hash_int(bits, seed);
}

void hash_into(const Column& c, size_t begin, size_t end, int32_t* seeds, bool seed_per_row);

// Folds row `i` of c into `seed` (nested values, one row at a time).
int32_t hash_one(const Column& c, size_t i, int32_t seed) {
  hash_into(c, i, i + 1, &seed, false);
  return seed;
}

// Folds rows [begin, end) of c into seeds: seeds[i - begin] per row when
// seed_per_row, else all rows into seeds[0] in order (array elements).
void hash_into(const Column& c, size_t begin, size_t end, int32_t* seeds, bool seed_per_row) {
  auto fold = [&](auto hash_row) {
    for (size_t i = begin; i < end; ++i) {
      if (c.is_null(i)) continue;
      int32_t& seed = seeds[seed_per_row ? i - begin : 0];
      seed = hash_row(i, seed);
    }
  };
  switch (c.id()) {
    case TypeId::Null:
      break;
    case TypeId::Boolean:
      fold([&](size_t i, int32_t s) { return hash_int(c.data<uint8_t>()[i] ? 1 : 0, s); });
      break;
    case TypeId::Int:
    case TypeId::Date:
      fold([&](size_t i, int32_t s) { return hash_int(c.data<int32_t>()[i], s); });
      break;
    case TypeId::Long:
    case TypeId::Timestamp:
      fold([&](size_t i, int32_t s) { return hash_long(c.data<int64_t>()[i], s); });
      break;
    case TypeId::Float:
      fold([&](size_t i, int32_t s) { return hash_float(c.data<float>()[i], s); });
      break;
    case TypeId::Double:
      fold([&](size_t i, int32_t s) { return hash_double(c.data<double>()[i], s); });
      break;
    case TypeId::String:
    case TypeId::Binary:
      fold([&](size_t i, int32_t s) { return hash_bytes(c.data<std::string_view>()[i], s); });
      break;
    case TypeId::Array:
      fold([&](size_t i, int32_t s) {
        hash_into(*c.children()[0], c.offsets()[i], c.offsets()[i + 1], &s, false);
        return s;
      });
      break;
    case TypeId::Struct:
      fold([&](size_t i, int32_t s) {
        for (const ColumnRef& field : c.children()) s = hash_one(*field, i, s);
        return s;
      });
      break;
  }
}

}  // namespace

Signature bind_hash(const std::vector<Arg>& args) {
  expect_arg_count("hash", args, 1, SIZE_MAX);
  std::vector<DataType> wanted;
  for (const Arg& a : args) wanted.push_back(a.type);
  DataType int_type = DataType::of(TypeId::Int);
  Kernel kernel = [int_type](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = Column::make(int_type, rows);
    out->resize(rows);
    int32_t* seeds = out->data<int32_t>();
    std::fill(seeds, seeds + rows, kSparkSeed);
    for (const ColumnRef& c : cols) hash_into(*c, 0, rows, seeds, true);
    return out;
  };
  return Signature{std::move(wanted), int_type, std::move(kernel)};
}

}  // namespace runnel::fn
