#include "expr/cast.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "expr/nodes.hpp"
#include "expr/vector.hpp"
#include "types/number_format.hpp"
#include "types/timestamp.hpp"

namespace runnel::expr {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

bool is_atomic(TypeId id) { return id != TypeId::Struct && id != TypeId::Array && id != TypeId::Null; }
bool is_number_like(TypeId id) { return DataType::of(id).is_numeric() || id == TypeId::Boolean; }

// --- conversions of one value; `false` means the result is NULL ---

// Java's (int) / (long) of a double: truncate, saturate, NaN -> 0.
template <class I>
I java_float_to_integral(double d) {
  if (std::isnan(d)) return 0;
  if (d >= static_cast<double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  if (d <= static_cast<double>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  return static_cast<I>(d);
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}

std::string_view trim(std::string_view s) {
  // UTF8String.trimAll: whitespace and control characters at both ends.
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

// UTF8String.toLong/toInt: [+-]digits[.digits], the fraction dropped.
template <class I>
bool parse_integral(std::string_view s, I& out) {
  s = trim(s);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view digits = s.substr(0, dot);
  if (dot != std::string_view::npos)
    for (char c : s.substr(dot + 1))
      if (c < '0' || c > '9') return false;
  if (digits.empty() && (dot == std::string_view::npos || s.size() == 1)) return false;
  // Accumulate negatively so that MIN_VALUE parses.
  I value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(value, I{10}, &value) || __builtin_sub_overflow(value, I(c - '0'), &value)) return false;
  }
  if (!negative) {
    if (value == std::numeric_limits<I>::min()) return false;
    value = -value;
  }
  out = value;
  return true;
}

// Java's Double.parseDouble plus Spark's extra spellings (inf, +inf, -infinity, nan).
bool parse_floating(std::string_view s, double& out) {
  s = trim(s);
  if (!s.empty() && (s.back() == 'd' || s.back() == 'D' || s.back() == 'f' || s.back() == 'F')) {
    std::string_view body = s.substr(0, s.size() - 1);
    if (!body.empty() && (std::isdigit(static_cast<unsigned char>(body.back())) || body.back() == '.')) s = body;
  }
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+' || (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) {  // Java rounds to 0 / Infinity rather than failing
    bool exponent_negative = s.find("e-") != std::string_view::npos || s.find("E-") != std::string_view::npos;
    out = exponent_negative ? 0.0 : (s[0] == '-' ? -HUGE_VAL : HUGE_VAL);
    return true;
  }
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_boolean(std::string_view s, uint8_t& out) {
  s = trim(s);
  if (s.size() > 5) return false;
  std::string lower(s);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto t : {"t", "true", "y", "yes", "1"})
    if (lower == t) return out = 1, true;
  for (auto f : {"f", "false", "n", "no", "0"})
    if (lower == f) return out = 0, true;
  return false;
}

// Applies `convert(From, To&) -> bool` to each row; rows where it returns false become NULL.
template <class From, class To, class Convert>
ColumnRef map_rows(const Column& in, const DataType& to, Convert convert) {
  size_t n = in.size();
  auto out = new_column(to, n);
  copy_validity(*out, in);
  const From* src = in.data<From>();
  To* dst = out->data<To>();
  for (size_t i = 0; i < n; ++i)
    if (!convert(src[i], dst[i])) out->set_null(i);
  return out;
}

// --- from string ---

ColumnRef cast_from_string(const Column& in, const DataType& to) {
  using SV = std::string_view;
  switch (to.id) {
    case TypeId::Boolean: return map_rows<SV, uint8_t>(in, to, parse_boolean);
    case TypeId::Int: return map_rows<SV, int32_t>(in, to, parse_integral<int32_t>);
    case TypeId::Long: return map_rows<SV, int64_t>(in, to, parse_integral<int64_t>);
    case TypeId::Double: return map_rows<SV, double>(in, to, parse_floating);
    case TypeId::Float:
      return map_rows<SV, float>(in, to, [](SV s, float& out) {
        double d;
        if (!parse_floating(s, d)) return false;
        out = static_cast<float>(d);
        return true;
      });
    case TypeId::Date:
      return map_rows<SV, int32_t>(in, to, [](SV s, int32_t& out) {
        auto d = parse_date(trim(s));
        if (d) out = *d;
        return d.has_value();
      });
    case TypeId::Timestamp:
      return map_rows<SV, int64_t>(in, to, [](SV s, int64_t& out) {
        auto t = parse_timestamp(trim(s));
        if (t) out = *t;
        return t.has_value();
      });
    default: fail(ErrorKind::Internal, "internal error: cast from string to " + to.to_string());
  }
}

// --- between numbers, booleans, dates and timestamps ---

template <class From>
double as_double(From v, TypeId from) {
  if (from == TypeId::Timestamp) return static_cast<double>(v) / kMicrosPerSecond;
  return static_cast<double>(v);
}

template <class From>
ColumnRef cast_flat(const Column& in, const DataType& to) {
  TypeId from = in.id();
  bool from_float = from == TypeId::Float || from == TypeId::Double;
  if (from == TypeId::Date) {
    if (to.id == TypeId::Timestamp)
      return map_rows<From, int64_t>(in, to, [](From d, int64_t& out) { return out = saturating_mul(d, kMicrosPerDay), true; });
    return Column::nulls(to, in.size());  // date -> numeric/boolean is NULL in Spark (non-ANSI)
  }
  // Timestamps convert to numbers as (floor) seconds.
  auto integral = [&](From v) -> int64_t {
    if (from == TypeId::Timestamp) return floor_div(static_cast<int64_t>(v), kMicrosPerSecond);
    return static_cast<int64_t>(v);
  };
  switch (to.id) {
    case TypeId::Boolean:
      return map_rows<From, uint8_t>(in, to, [](From v, uint8_t& out) { return out = v != 0, true; });
    case TypeId::Int:
      return map_rows<From, int32_t>(in, to, [&](From v, int32_t& out) {
        out = from_float ? java_float_to_integral<int32_t>(static_cast<double>(v)) : static_cast<int32_t>(integral(v));
        return true;
      });
    case TypeId::Long:
      return map_rows<From, int64_t>(in, to, [&](From v, int64_t& out) {
        out = from_float ? java_float_to_integral<int64_t>(static_cast<double>(v)) : integral(v);
        return true;
      });
    case TypeId::Float:
      return map_rows<From, float>(in, to, [&](From v, float& out) { return out = static_cast<float>(as_double(v, from)), true; });
    case TypeId::Double:
      return map_rows<From, double>(in, to, [&](From v, double& out) { return out = as_double(v, from), true; });
    case TypeId::Date:  // only from timestamp (can_cast)
      return map_rows<From, int32_t>(in, to, [](From v, int32_t& out) {
        return out = static_cast<int32_t>(floor_div(static_cast<int64_t>(v), kMicrosPerDay)), true;
      });
    case TypeId::Timestamp:
      return map_rows<From, int64_t>(in, to, [&](From v, int64_t& out) {
        if (from == TypeId::Boolean) return out = v ? 1 : 0, true;  // Spark: true -> 1 microsecond
        if (!from_float) return out = saturating_mul(static_cast<int64_t>(v), kMicrosPerSecond), true;
        double d = static_cast<double>(v);
        if (!std::isfinite(d)) return false;
        out = java_float_to_integral<int64_t>(d * kMicrosPerSecond);
        return true;
      });
    default: fail(ErrorKind::Internal, "internal error: cast " + in.type().to_string() + " to " + to.to_string());
  }
}

// --- to string ---

void append_text(const Column& c, size_t row, std::string& out);

void append_flat_text(const Column& c, size_t i, std::string& out) {
  switch (c.id()) {
    case TypeId::Boolean: out += c.data<uint8_t>()[i] ? "true" : "false"; break;
    case TypeId::Int: format_int(c.data<int32_t>()[i], out); break;
    case TypeId::Long: format_int(c.data<int64_t>()[i], out); break;
    case TypeId::Float: format_float(c.data<float>()[i], out); break;
    case TypeId::Double: format_double(c.data<double>()[i], out); break;
    case TypeId::String:
    case TypeId::Binary: out += c.data<std::string_view>()[i]; break;
    case TypeId::Date: format_date(c.data<int32_t>()[i], out); break;
    case TypeId::Timestamp: format_timestamp_sql(c.data<int64_t>()[i], out); break;
    default: break;
  }
}

// Spark's nested forms: [1, 2, null] and {1, a, null}.
void append_text(const Column& c, size_t i, std::string& out) {
  if (c.is_null(i) || c.id() == TypeId::Null) {
    out += "null";
    return;
  }
  if (c.id() == TypeId::Array) {
    out += '[';
    for (uint32_t k = c.offsets()[i]; k < c.offsets()[i + 1]; ++k) {
      if (k != c.offsets()[i]) out += ", ";
      append_text(*c.children()[0], k, out);
    }
    out += ']';
  } else if (c.id() == TypeId::Struct) {
    out += '{';
    for (size_t f = 0; f < c.children().size(); ++f) {
      if (f) out += ", ";
      append_text(*c.children()[f], i, out);
    }
    out += '}';
  } else {
    append_flat_text(c, i, out);
  }
}

ColumnRef cast_to_string(const Column& in, const DataType& to) {
  size_t n = in.size();
  auto out = new_column(to, n);
  copy_validity(*out, in);
  auto* dst = out->data<std::string_view>();
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (in.is_null(i)) continue;
    text.clear();
    append_text(in, i, text);
    dst[i] = out->arena().copy(text);
  }
  return out;
}

ColumnRef cast_nested(const ColumnRef& in, const DataType& to) {
  size_t n = in->size();
  auto out = Column::make(to, n);
  out->resize(n);
  if (to.id == TypeId::Array) {
    std::memcpy(out->data<uint32_t>(), in->offsets(), (n + 1) * sizeof(uint32_t));
    out->children()[0] = cast_column(in->children()[0], *to.element);
  } else {
    for (size_t f = 0; f < to.fields.size(); ++f) out->children()[f] = cast_column(in->children()[f], to.fields[f].type);
  }
  copy_validity(*out, *in);
  return out;
}

}  // namespace

bool can_cast(const DataType& from, const DataType& to) {
  if (from == to || from.id == TypeId::Null) return true;
  if (to.id == TypeId::String) return true;
  if (from.id == TypeId::Array && to.id == TypeId::Array) return can_cast(*from.element, *to.element);
  if (from.id == TypeId::Struct && to.id == TypeId::Struct) {
    if (from.fields.size() != to.fields.size()) return false;
    for (size_t f = 0; f < from.fields.size(); ++f)
      if (!can_cast(from.fields[f].type, to.fields[f].type)) return false;
    return true;
  }
  if (!is_atomic(from.id) || !is_atomic(to.id)) return false;
  if (from.id == TypeId::String) return true;
  if (from.id == TypeId::Binary || to.id == TypeId::Binary) return false;
  if (to.id == TypeId::Date) return from.id == TypeId::Timestamp;
  return is_number_like(from.id) || from.id == TypeId::Timestamp || from.id == TypeId::Date;
}

ColumnRef cast_column(const ColumnRef& input, const DataType& to) {
  const DataType& from = input->type();
  if (from == to) return input;
  if (from.id == TypeId::Null) return Column::nulls(to, input->size());
  if (from.is_string_like() && to.is_string_like()) {  // string <-> binary: the same bytes
    auto out = new_column(to, input->size());
    std::memcpy(out->data<std::string_view>(), input->data<std::string_view>(), input->size() * sizeof(std::string_view));
    out->share_arena(*input);
    copy_validity(*out, *input);
    return out;
  }
  if (to.id == TypeId::String) return cast_to_string(*input, to);
  if (to.id == TypeId::Array || to.id == TypeId::Struct) return cast_nested(input, to);
  if (from.id == TypeId::String) return cast_from_string(*input, to);
  return visit_physical(from.id, [&](auto zero) -> ColumnRef {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, std::string_view>) fail(ErrorKind::Internal, "internal error: cast from binary");
    else return cast_flat<T>(*input, to);
  });
}

}  // namespace runnel::expr

namespace runnel::expr {

namespace {

class CastExpr final : public Node {
 public:
  CastExpr(ExprPtr child, const DataType& type) : Node(type), child_(std::move(child)) { add_inputs(*child_); }
  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    return cast_column(child_->evaluate(batch, ctx), type_);
  }

 private:
  ExprPtr child_;
};

}  // namespace

ExprPtr make_cast(ExprPtr child, const DataType& type) { return std::make_unique<CastExpr>(std::move(child), type); }

}  // namespace runnel::expr
