// Number formatting as the JVM does it, because Spark's outputs (CAST to
// string, JSON via Jackson, console tables) print doubles with Java's
// Double.toString: the shortest digits that round-trip, plain notation for
// 1e-3 <= |x| < 1e7 ("123.0", "0.001"), scientific otherwise ("1.0E10",
// "1.234E-5"), "NaN", "Infinity", "-Infinity".
#pragma once
#include <cstdint>
#include <string>

namespace runnel {

void format_double(double value, std::string& out);
void format_float(float value, std::string& out);
void format_int(int64_t value, std::string& out);

}  // namespace runnel
