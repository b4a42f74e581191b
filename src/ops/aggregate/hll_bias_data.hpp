// The empirical bias of HyperLogLog's raw estimate, per precision 4..18, as
// Spark's HyperLogLogPlusPlusHelper tabulates it (from the appendix of Heule,
// Nunkesser and Hall, "HyperLogLog in Practice", 2013). The values are kept
// exactly as Spark has them so that bias-corrected estimates agree to the bit.
#pragma once
#include <cstddef>

namespace runnel::hll {

struct BiasTable {
  const double* raw_estimates;  // ascending (nearly: as measured)
  const double* biases;         // the bias measured at each raw estimate
  size_t size;
};

// REQUIRES: 4 <= p <= 18.
BiasTable bias_table(int p);

}  // namespace runnel::hll
