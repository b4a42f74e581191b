#include <doctest.h>

#include <cstdint>
#include <numeric>

#include "base/large_allocator.hpp"

using namespace runnel;

TEST_CASE("large vector: small buffers as usual, large ones on 2 MiB boundaries, values kept across the growth") {
  LargeVector<uint32_t> v(16, 7);
  CHECK(v[15] == 7);
  for (uint32_t i = 0; i < (1u << 20); ++i) v.push_back(i);  // grows past 2 MiB: a large buffer
  CHECK(reinterpret_cast<uintptr_t>(v.data()) % LargeAllocator<uint32_t>::kHugePage == 0);
  CHECK(v[15] == 7);
  CHECK(v[16] == 0);
  CHECK(v.back() == (1u << 20) - 1);
  v = LargeVector<uint32_t>(4, 1);  // back to a small buffer: the large one is freed
  CHECK(std::accumulate(v.begin(), v.end(), 0u) == 4);
}
