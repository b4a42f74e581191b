#include "types/number_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace runnel {

namespace {

// Lays out shortest digits ("d.ddd" mantissa and decimal exponent) the way
// java.lang.Double.toString does.
void java_layout(const char* digits, size_t ndigits, int exponent, bool negative, std::string& out) {
  if (negative) out += '-';
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out.append(digits, ndigits);
      return;
    }
    size_t int_digits = static_cast<size_t>(exponent) + 1;
    if (ndigits <= int_digits) {
      out.append(digits, ndigits);
      out.append(int_digits - ndigits, '0');
      out += ".0";
    } else {
      out.append(digits, int_digits);
      out += '.';
      out.append(digits + int_digits, ndigits - int_digits);
    }
    return;
  }
  out += digits[0];
  out += '.';
  if (ndigits > 1) out.append(digits + 1, ndigits - 1);
  else out += '0';
  out += 'E';
  out += std::to_string(exponent);
}

template <class T> void format_floating(T value, std::string& out) {
  if (std::isnan(value)) { out += "NaN"; return; }
  if (std::isinf(value)) { out += value < 0 ? "-Infinity" : "Infinity"; return; }
  if (value == 0) { out += std::signbit(value) ? "-0.0" : "0.0"; return; }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf - 1, std::fabs(value), std::chars_format::scientific);
  *res.ptr = '\0';  // for atoi below
  // buf holds "d[.ddd]e[+-]xx"
  char digits[32];
  size_t nd = 0;
  const char* p = buf;
  for (; p < res.ptr && *p != 'e'; ++p)
    if (*p != '.') digits[nd++] = *p;
  int exponent = std::atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') --nd;
  java_layout(digits, nd, exponent, value < 0, out);
}

}  // namespace

void format_double(double value, std::string& out) { format_floating(value, out); }
void format_float(float value, std::string& out) { format_floating(value, out); }

void format_int(int64_t value, std::string& out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

}  // namespace runnel
