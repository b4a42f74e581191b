// Math functions. Spark's numeric rules: abs/mod/pmod keep the argument type,
// floor/ceil return bigint, round rounds HALF_UP on the decimal value that
// Java prints for a double, and transcendental functions work on double
// (ln/log10 of a non-positive number is NULL; sqrt(-1) is NaN).
#include <charconv>
#include <cmath>
#include <limits>

#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

// The type a numeric kernel wants for `t`: numeric types stay, strings and
// NULL become double (Spark's implicit cast for arithmetic).
DataType numeric_or_double(std::string_view name, const DataType& t) {
  if (t.is_numeric()) return t;
  if (t.id == TypeId::String || t.id == TypeId::Null) return DataType::of(TypeId::Double);
  throw BindError(std::string(name) + " expects a numeric argument, got " + t.to_string());
}

// Java's double-to-long conversion: NaN -> 0, out of range saturates.
int64_t java_double_to_long(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// HALF_UP rounding of the shortest decimal form of x (what Scala's
// BigDecimal(double) sees), so round(2.675, 2) = 2.68 as in Spark. Dividing
// the exact integer by an exact power of ten rounds once, like parsing "Ke-s".
double round_half_up(double x, int scale) {
  if (!std::isfinite(x) || x == 0) return x;
  // Fast path: away from a tie, the binary product rounds like the decimal.
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (scale >= 0 && scale <= 15) {
    double scaled = std::fabs(x) * kPow10[scale];
    double whole = std::floor(scaled);
    double fraction = scaled - whole;
    if (scaled < 0x1p52 && std::fabs(fraction - 0.5) > scaled * 1e-15 + 1e-300) {
      if (fraction > 0.5) whole += 1;
      return std::copysign(whole / kPow10[scale], x);
    }
  }
  char text[40];
  auto written = std::to_chars(text, text + sizeof text, std::fabs(x), std::chars_format::scientific);
  std::string_view s(text, written.ptr - text);  // "d.ddddde±XX"
  size_t e_pos = s.find('e');
  int exponent = 0;
  const char* exponent_text = s.data() + e_pos + 1;
  if (*exponent_text == '+') ++exponent_text;
  std::from_chars(exponent_text, s.data() + s.size(), exponent);
  std::string digits;
  for (char c : s.substr(0, e_pos))
    if (c != '.') digits += c;
  int64_t keep = int64_t{exponent} + scale + 1;  // digits at or above 10^-scale
  if (keep >= static_cast<int64_t>(digits.size())) return x;
  if (keep < 0) return std::copysign(0.0, x);
  int64_t kept = keep == 0 ? 0 : std::stoll(digits.substr(0, keep));
  if (digits[keep] >= '5') ++kept;
  std::string result = std::to_string(kept) + "e" + std::to_string(-scale);
  double value = 0;
  std::from_chars(result.data(), result.data() + result.size(), value);
  return std::copysign(value, x);
}

// HALF_UP rounding of an integer to 10^-scale (scale < 0), wrapping like Java's toLong.
template <class T>
T round_integer(T x, int scale) {
  if (scale >= 0) return x;
  if (scale < -18) return 0;
  __int128 unit = 1;
  for (int k = 0; k < -scale; ++k) unit *= 10;
  __int128 v = x;
  __int128 rest = v % unit;
  __int128 rounded = v - rest;
  if (rest * 2 >= unit) rounded += unit;
  if (rest * 2 <= -unit) rounded -= unit;
  return static_cast<T>(rounded);
}

template <class Tag>
Signature round_signature(int scale) {
  using T = typename Tag::Value;
  return simple<Tag, Tag>([scale](T& out, T x) {
    if constexpr (std::is_integral_v<T>) {
      out = round_integer(x, scale);
    } else {
      out = static_cast<T>(round_half_up(static_cast<double>(x), scale));
    }
  });
}

// floor/ceil: bigint in, bigint out; double in, bigint out.
Signature bind_rounding_to_long(std::string_view name, const std::vector<Arg>& args,
                                double (*round)(double)) {
  expect_arg_count(name, args, 1, 1);
  DataType t = numeric_or_double(name, args[0].type);
  if (t.is_integral()) return simple<LongT, LongT>([](int64_t& out, int64_t x) { out = x; });
  return simple<LongT, DoubleT>([round](int64_t& out, double x) { out = java_double_to_long(round(x)); });
}

Signature bind_double_unary(std::string_view name, const std::vector<Arg>& args, double (*f)(double)) {
  expect_arg_count(name, args, 1, 1);
  numeric_or_double(name, args[0].type);
  return simple<DoubleT, DoubleT>([f](double& out, double x) { out = f(x); });
}

// ln-like: NULL for a non-positive argument, as Spark's Logarithm.
Signature bind_logarithm(std::string_view name, const std::vector<Arg>& args, double (*f)(double)) {
  expect_arg_count(name, args, 1, 1);
  numeric_or_double(name, args[0].type);
  return simple<DoubleT, DoubleT>([f](double& out, double x) {
    if (x <= 0) return false;
    out = f(x);
    return true;
  });
}

// Java's % (sign of the dividend), with x % -1 = 0 for the minimum integer.
template <class T>
T java_remainder(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return b == -1 ? 0 : a % b;
  } else {
    return std::fmod(a, b);
  }
}

// Java's + : integers wrap on overflow.
template <class T>
T java_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

Signature bind_remainder(std::string_view name, const std::vector<Arg>& args, bool positive) {
  expect_arg_count(name, args, 2, 2);
  DataType common =
      common_type_of(name, {numeric_or_double(name, args[0].type), numeric_or_double(name, args[1].type)});
  return with_numeric_tag(common.id, [positive](auto tag) {
    using Tag = decltype(tag);
    using T = typename Tag::Value;
    return simple<Tag, Tag, Tag>([positive](T& out, T a, T b) {
      if (b == 0) return false;
      out = java_remainder(a, b);
      if (positive && out < 0) out = java_remainder(java_add(out, b), b);
      return true;
    });
  });
}

}  // namespace

Signature bind_abs(const std::vector<Arg>& args) {
  expect_arg_count("abs", args, 1, 1);
  DataType t = numeric_or_double("abs", args[0].type);
  return with_numeric_tag(t.id, [](auto tag) {
    using Tag = decltype(tag);
    using T = typename Tag::Value;
    return simple<Tag, Tag>([](T& out, T x) {
      if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        out = x < 0 ? static_cast<T>(U{0} - static_cast<U>(x)) : x;  // abs(MIN) = MIN, as Java
      } else {
        out = std::fabs(x);
      }
    });
  });
}

Signature bind_round(const std::vector<Arg>& args) {
  expect_arg_count("round", args, 1, 2);
  DataType t = numeric_or_double("round", args[0].type);
  int64_t scale = 0;
  if (args.size() == 2) {
    auto literal = literal_integer(args[1]);
    bool null_scale = args[1].literal && args[1].literal->is_null;
    if (!literal && !null_scale) throw BindError("round expects an integer literal as its scale");
    if (null_scale) {  // round(x, NULL) is NULL
      Kernel nulls = [t](const std::vector<ColumnRef>&, size_t rows, const expr::EvalContext&) {
        return Column::nulls(t, rows);
      };
      return Signature{{t, DataType::of(TypeId::Int)}, t, std::move(nulls)};
    }
    scale = *literal;
  }
  if (scale < -400 || scale > 400) throw BindError("round scale out of range: " + std::to_string(scale));
  Signature sig =
      with_numeric_tag(t.id, [scale](auto tag) { return round_signature<decltype(tag)>(int(scale)); });
  if (args.size() == 2) {  // the scale column (a broadcast literal) is not read
    sig.args.push_back(DataType::of(TypeId::Int));
    Kernel unary = std::move(sig.kernel);
    sig.kernel = [unary](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext& ctx) {
      return unary({cols[0]}, rows, ctx);
    };
  }
  return sig;
}

Signature bind_floor(const std::vector<Arg>& args) {
  return bind_rounding_to_long("floor", args, std::floor);
}
Signature bind_ceil(const std::vector<Arg>& args) { return bind_rounding_to_long("ceil", args, std::ceil); }
Signature bind_sqrt(const std::vector<Arg>& args) { return bind_double_unary("sqrt", args, std::sqrt); }
Signature bind_exp(const std::vector<Arg>& args) { return bind_double_unary("exp", args, std::exp); }
Signature bind_ln(const std::vector<Arg>& args) { return bind_logarithm("ln", args, std::log); }
Signature bind_log10(const std::vector<Arg>& args) { return bind_logarithm("log10", args, std::log10); }
Signature bind_log2(const std::vector<Arg>& args) { return bind_logarithm("log2", args, std::log2); }

Signature bind_signum(const std::vector<Arg>& args) {
  return bind_double_unary("signum", args, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); });
}

// log(x) is ln(x); log(base, x) is NULL unless both are positive.
Signature bind_log(const std::vector<Arg>& args) {
  expect_arg_count("log", args, 1, 2);
  if (args.size() == 1) return bind_ln(args);
  numeric_or_double("log", args[0].type);
  numeric_or_double("log", args[1].type);
  return simple<DoubleT, DoubleT, DoubleT>([](double& out, double base, double x) {
    if (base <= 0 || x <= 0) return false;
    out = std::log(x) / std::log(base);
    return true;
  });
}

Signature bind_pow(const std::vector<Arg>& args) {
  expect_arg_count("pow", args, 2, 2);
  numeric_or_double("pow", args[0].type);
  numeric_or_double("pow", args[1].type);
  return simple<DoubleT, DoubleT, DoubleT>([](double& out, double x, double y) {
    // Java's Math.pow differs from C's pow: NaN exponent, and |x| = 1 to an infinite power, give NaN.
    bool java_nan = std::isnan(y) || (std::fabs(x) == 1 && std::isinf(y));
    out = java_nan ? std::numeric_limits<double>::quiet_NaN() : std::pow(x, y);
  });
}

Signature bind_mod(const std::vector<Arg>& args) { return bind_remainder("mod", args, false); }
Signature bind_pmod(const std::vector<Arg>& args) { return bind_remainder("pmod", args, true); }

}  // namespace runnel::fn
