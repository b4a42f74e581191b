// Date and time functions, in the session time zone UTC. Timestamps are
// microseconds and dates days since the epoch; conversions floor, so
// instants before 1970 land in the right second and day. Text is parsed and
// formatted with Spark's datetime patterns (datetime_pattern.hpp); text that
// does not match gives NULL (non-ANSI).
#include <memory>

#include "functions/datetime_pattern.hpp"
#include "functions/kernel.hpp"
#include "functions/time_units.hpp"
#include "types/timestamp.hpp"

namespace runnel::fn {

namespace {

constexpr std::string_view kDefaultFormat = "yyyy-MM-dd HH:mm:ss";

int32_t date_of(int64_t micros) { return static_cast<int32_t>(floor_div(micros, kMicrosPerDay)); }

bool is_string_or_null(const DataType& t) { return t.id == TypeId::String || t.id == TypeId::Null; }

// --- format patterns ---

// The literal format compiled at bind time (a bad literal is a bind error),
// or nullptr when the format is computed per row.
std::shared_ptr<const DateTimePattern> literal_format(const Arg& arg) {
  const std::string* text = literal_string(arg);
  return text ? std::make_shared<const DateTimePattern>(*text) : nullptr;
}

// The format of one kernel call: fixed, or compiled per distinct row value.
class FormatCache {
 public:
  explicit FormatCache(std::shared_ptr<const DateTimePattern> fixed)
      : current_(std::move(fixed)), fixed_(current_ != nullptr) {}
  // nullptr when the row's pattern is invalid.
  const DateTimePattern* get(std::string_view text) {
    if (fixed_) return current_.get();
    if (!compiled_ || text != text_) {
      text_ = std::string(text);
      compiled_ = true;
      try {
        current_ = std::make_shared<const DateTimePattern>(text);
      } catch (const BindError&) {
        current_ = nullptr;
      }
    }
    return current_.get();
  }

 private:
  std::shared_ptr<const DateTimePattern> current_;
  bool fixed_;
  bool compiled_ = false;
  std::string text_;
};

// A function of (value[, format]): `op(out, value, pattern)` with the format
// argument when given, else `default_format`.
template <class Out, class In, class Op>
Signature with_format(const std::vector<Arg>& args, std::string_view default_format, Op op) {
  DataType result = DataType::of(Out::id);
  if (args.size() == 1) {
    auto pattern = std::make_shared<const DateTimePattern>(default_format);
    Kernel kernel = [pattern, op, result](const std::vector<ColumnRef>& cols, size_t rows,
                                          const expr::EvalContext&) {
      auto row = [&](auto& out, typename In::Value v) { return op(out, v, *pattern); };
      return map_rows<Out, In>(result, cols, rows, row);
    };
    return Signature{{DataType::of(In::id)}, result, std::move(kernel)};
  }
  auto fixed = literal_format(args[1]);
  Kernel kernel = [fixed, op, result](const std::vector<ColumnRef>& cols, size_t rows,
                                      const expr::EvalContext&) {
    FormatCache cache(fixed);
    auto row = [&](auto& out, typename In::Value v, std::string_view format) {
      const DateTimePattern* pattern = cache.get(format);
      return pattern != nullptr && op(out, v, *pattern);
    };
    return map_rows<Out, In, StringT>(result, cols, rows, row);
  };
  return Signature{{DataType::of(In::id), DataType::of(TypeId::String)}, result, std::move(kernel)};
}

// A kernel passing its only argument through (the binder already cast it).
Signature identity(const DataType& type, size_t arity) {
  std::vector<DataType> wanted{type};
  wanted.resize(arity, DataType::of(TypeId::String));
  Kernel kernel = [](const std::vector<ColumnRef>& cols, size_t, const expr::EvalContext&) {
    return cols[0];
  };
  return Signature{std::move(wanted), type, std::move(kernel)};
}

bool format_micros(StringOut& out, int64_t micros, const DateTimePattern& pattern) {
  thread_local std::string buffer;
  buffer.clear();
  pattern.format(micros, buffer);
  out.copy(buffer);
  return true;
}

// --- truncation ---

enum class TruncLevel { Microsecond, Millisecond, Second, Minute, Hour, Day, Week, Month, Quarter, Year };

// Spark's DateTimeUtils.parseTruncLevel names, case-insensitive.
std::optional<TruncLevel> parse_trunc_level(std::string_view unit) {
  static const std::pair<std::string_view, TruncLevel> kNames[] = {
      {"microsecond", TruncLevel::Microsecond},
      {"millisecond", TruncLevel::Millisecond},
      {"second", TruncLevel::Second},
      {"minute", TruncLevel::Minute},
      {"hour", TruncLevel::Hour},
      {"day", TruncLevel::Day},
      {"dd", TruncLevel::Day},
      {"week", TruncLevel::Week},
      {"month", TruncLevel::Month},
      {"mm", TruncLevel::Month},
      {"mon", TruncLevel::Month},
      {"quarter", TruncLevel::Quarter},
      {"year", TruncLevel::Year},
      {"yyyy", TruncLevel::Year},
      {"yy", TruncLevel::Year},
  };
  for (const auto& [name, level] : kNames) {
    if (name.size() != unit.size()) continue;
    bool same = true;
    for (size_t k = 0; k < name.size() && same; ++k)
      same = std::tolower(static_cast<unsigned char>(unit[k])) == name[k];
    if (same) return level;
  }
  return std::nullopt;
}

// First day of the week (Monday), month, quarter or year containing `days`.
int32_t truncate_days(int32_t days, TruncLevel level) {
  if (level == TruncLevel::Week)
    return static_cast<int32_t>(days - floor_mod(days + 3, 7));  // 1970-01-01: Thursday
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (level == TruncLevel::Year) m = 1;
  if (level == TruncLevel::Quarter) m = (m - 1) / 3 * 3 + 1;
  return days_from_civil(y, m, 1);
}

int64_t truncate_micros(int64_t micros, TruncLevel level) {
  auto floor_to = [micros](int64_t unit) { return wrapping_mul(floor_div(micros, unit), unit); };
  switch (level) {
    case TruncLevel::Microsecond:
      return micros;
    case TruncLevel::Millisecond:
      return floor_to(kMicrosPerMilli);
    case TruncLevel::Second:
      return floor_to(kMicrosPerSecond);
    case TruncLevel::Minute:
      return floor_to(kMicrosPerMinute);
    case TruncLevel::Hour:
      return floor_to(kMicrosPerHour);
    case TruncLevel::Day:
      return floor_to(kMicrosPerDay);
    default:
      return wrapping_mul(truncate_days(date_of(micros), level), kMicrosPerDay);
  }
}

// The unit of one row: the literal resolved at bind time, else parsed per row.
std::optional<TruncLevel> level_of(const std::optional<std::optional<TruncLevel>>& fixed,
                                   std::string_view unit) {
  return fixed ? *fixed : parse_trunc_level(unit);
}

std::optional<std::optional<TruncLevel>> literal_level(const Arg& arg) {
  const std::string* unit = literal_string(arg);
  if (!unit) return std::nullopt;
  return parse_trunc_level(*unit);
}

// --- field extraction ---

struct DateParts {
  int64_t year;
  unsigned month, day;
};
DateParts parts_of(int32_t days) {
  DateParts p{};
  civil_from_days(days, p.year, p.month, p.day);
  return p;
}

template <class F>
Signature date_field(std::string_view name, const std::vector<Arg>& args, F field) {
  expect_arg_count(name, args, 1, 1);
  return simple<IntT, DateT>([field](int32_t& out, int32_t days) { out = field(days); });
}

template <class F>
Signature time_field(std::string_view name, const std::vector<Arg>& args, F field) {
  expect_arg_count(name, args, 1, 1);
  return simple<IntT, TimestampT>(
      [field](int32_t& out, int64_t micros) { out = static_cast<int32_t>(field(micros_of_day(micros))); });
}

// --- epoch conversions ---

// value * factor, or false on overflow (Spark's multiplyExact fails there).
bool scale_exact(int64_t value, int64_t factor, int64_t& out) {
  return !__builtin_mul_overflow(value, factor, &out);
}

Signature from_epoch(std::string_view name, const std::vector<Arg>& args, int64_t micros_per_unit) {
  expect_arg_count(name, args, 1, 1);
  if (!args[0].type.is_numeric() && args[0].type.id != TypeId::Null)
    throw BindError(std::string(name) + " expects a numeric argument, got " + args[0].type.to_string());
  if (micros_per_unit == kMicrosPerSecond &&
      (args[0].type.id == TypeId::Double || args[0].type.id == TypeId::Float)) {
    // Fractional seconds: (seconds * 1e6).toLong; NaN and infinities give NULL.
    return simple<TimestampT, DoubleT>([](int64_t& out, double seconds) {
      double micros = seconds * kMicrosPerSecond;
      if (!std::isfinite(micros) || std::fabs(micros) >= 9.2233720368547758e18) return false;
      out = static_cast<int64_t>(micros);
      return true;
    });
  }
  return simple<TimestampT, LongT>(
      [micros_per_unit](int64_t& out, int64_t v) { return scale_exact(v, micros_per_unit, out); });
}

Signature to_epoch(std::string_view name, const std::vector<Arg>& args, int64_t micros_per_unit) {
  expect_arg_count(name, args, 1, 1);
  return simple<LongT, TimestampT>(
      [micros_per_unit](int64_t& out, int64_t micros) { out = floor_div(micros, micros_per_unit); });
}

Signature now_signature(const DataType& type, bool as_date, bool as_seconds) {
  Kernel kernel = [type, as_date, as_seconds](const std::vector<ColumnRef>&, size_t rows,
                                              const expr::EvalContext& ctx) {
    ColumnRef out = Column::make(type, rows);
    out->resize(rows);
    int64_t now = ctx.batch_timestamp_us;
    if (as_date) {
      std::fill_n(out->data<int32_t>(), rows, date_of(now));
    } else {
      std::fill_n(out->data<int64_t>(), rows, as_seconds ? floor_div(now, kMicrosPerSecond) : now);
    }
    return out;
  };
  return Signature{{}, type, std::move(kernel)};
}

}  // namespace

// to_timestamp(str[, fmt]): without fmt, CAST(str AS TIMESTAMP); other input types are cast.
Signature bind_to_timestamp(const std::vector<Arg>& args) {
  expect_arg_count("to_timestamp", args, 1, 2);
  if (!is_string_or_null(args[0].type)) return identity(DataType::of(TypeId::Timestamp), args.size());
  if (args.size() == 1) {
    return simple<TimestampT, StringT>([](int64_t& out, std::string_view s) {
      auto v = parse_timestamp(s);
      if (v) out = *v;
      return v.has_value();
    });
  }
  return with_format<TimestampT, StringT>(args, kDefaultFormat,
                                          [](int64_t& out, std::string_view s, const DateTimePattern& p) {
                                            auto v = p.parse(s);
                                            if (v) out = *v;
                                            return v.has_value();
                                          });
}

Signature bind_to_date(const std::vector<Arg>& args) {
  expect_arg_count("to_date", args, 1, 2);
  if (!is_string_or_null(args[0].type)) return identity(DataType::of(TypeId::Date), args.size());
  if (args.size() == 1) {
    return simple<DateT, StringT>([](int32_t& out, std::string_view s) {
      auto v = parse_date(s);
      if (v) out = *v;
      return v.has_value();
    });
  }
  return with_format<DateT, StringT>(args, kDefaultFormat,
                                     [](int32_t& out, std::string_view s, const DateTimePattern& p) {
                                       auto v = p.parse(s);
                                       if (v) out = date_of(*v);
                                       return v.has_value();
                                     });
}

Signature bind_timestamp_seconds(const std::vector<Arg>& args) {
  return from_epoch("timestamp_seconds", args, kMicrosPerSecond);
}
Signature bind_timestamp_millis(const std::vector<Arg>& args) {
  return from_epoch("timestamp_millis", args, kMicrosPerMilli);
}
Signature bind_timestamp_micros(const std::vector<Arg>& args) {
  return from_epoch("timestamp_micros", args, 1);
}
Signature bind_unix_seconds(const std::vector<Arg>& args) {
  return to_epoch("unix_seconds", args, kMicrosPerSecond);
}
Signature bind_unix_millis(const std::vector<Arg>& args) {
  return to_epoch("unix_millis", args, kMicrosPerMilli);
}
Signature bind_unix_micros(const std::vector<Arg>& args) { return to_epoch("unix_micros", args, 1); }

// from_unixtime(seconds[, fmt]), fmt defaulting to 'yyyy-MM-dd HH:mm:ss'.
Signature bind_from_unixtime(const std::vector<Arg>& args) {
  expect_arg_count("from_unixtime", args, 1, 2);
  return with_format<StringT, LongT>(args, kDefaultFormat,
                                     [](StringOut& out, int64_t seconds, const DateTimePattern& p) {
                                       // Spark multiplies without an overflow check.
                                       return format_micros(out, wrapping_mul(seconds, kMicrosPerSecond), p);
                                     });
}

// unix_timestamp(): the batch's time; unix_timestamp(str[, fmt]) parses
// (fmt default 'yyyy-MM-dd HH:mm:ss'); timestamps and dates convert.
Signature bind_unix_timestamp(const std::vector<Arg>& args) {
  expect_arg_count("unix_timestamp", args, 0, 2);
  if (args.empty()) return now_signature(DataType::of(TypeId::Long), false, true);
  if (!is_string_or_null(args[0].type)) {
    Signature sig = simple<LongT, TimestampT>(
        [](int64_t& out, int64_t micros) { out = floor_div(micros, kMicrosPerSecond); });
    if (args.size() == 2) {
      sig.args.push_back(DataType::of(TypeId::String));
      Kernel unary = std::move(sig.kernel);
      sig.kernel = [unary](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext& ctx) {
        return unary({cols[0]}, rows, ctx);
      };
    }
    return sig;
  }
  return with_format<LongT, StringT>(args, kDefaultFormat,
                                     [](int64_t& out, std::string_view s, const DateTimePattern& p) {
                                       auto v = p.parse(s);
                                       if (v) out = floor_div(*v, kMicrosPerSecond);
                                       return v.has_value();
                                     });
}

Signature bind_date_format(const std::vector<Arg>& args) {
  expect_arg_count("date_format", args, 2, 2);
  return with_format<StringT, TimestampT>(args, kDefaultFormat, format_micros);
}

// date_trunc(unit, ts): an unknown unit gives NULL, as in Spark.
Signature bind_date_trunc(const std::vector<Arg>& args) {
  expect_arg_count("date_trunc", args, 2, 2);
  auto fixed = literal_level(args[0]);
  return simple<TimestampT, StringT, TimestampT>(
      [fixed](int64_t& out, std::string_view unit, int64_t micros) {
        auto level = level_of(fixed, unit);
        if (level) out = truncate_micros(micros, *level);
        return level.has_value();
      });
}

// trunc(date, unit): only week, month, quarter and year; other units give NULL.
Signature bind_trunc(const std::vector<Arg>& args) {
  expect_arg_count("trunc", args, 2, 2);
  auto fixed = literal_level(args[1]);
  return simple<DateT, DateT, StringT>([fixed](int32_t& out, int32_t days, std::string_view unit) {
    auto level = level_of(fixed, unit);
    if (!level || *level < TruncLevel::Week) return false;
    out = truncate_days(days, *level);
    return true;
  });
}

Signature bind_current_timestamp(const std::vector<Arg>& args) {
  expect_arg_count("current_timestamp", args, 0, 0);
  return now_signature(DataType::of(TypeId::Timestamp), false, false);
}

Signature bind_current_date(const std::vector<Arg>& args) {
  expect_arg_count("current_date", args, 0, 0);
  return now_signature(DataType::of(TypeId::Date), true, false);
}

Signature bind_year(const std::vector<Arg>& args) {
  return date_field("year", args, [](int32_t d) { return static_cast<int32_t>(parts_of(d).year); });
}
Signature bind_month(const std::vector<Arg>& args) {
  return date_field("month", args, [](int32_t d) { return static_cast<int32_t>(parts_of(d).month); });
}
Signature bind_dayofmonth(const std::vector<Arg>& args) {
  return date_field("dayofmonth", args, [](int32_t d) { return static_cast<int32_t>(parts_of(d).day); });
}
Signature bind_quarter(const std::vector<Arg>& args) {
  return date_field("quarter", args,
                    [](int32_t d) { return static_cast<int32_t>((parts_of(d).month - 1) / 3 + 1); });
}
// dayofweek: 1 = Sunday ... 7 = Saturday.
Signature bind_dayofweek(const std::vector<Arg>& args) {
  return date_field("dayofweek", args,
                    [](int32_t d) { return static_cast<int32_t>(floor_mod(d + 4, 7) + 1); });
}
Signature bind_dayofyear(const std::vector<Arg>& args) {
  return date_field("dayofyear", args,
                    [](int32_t d) { return d - days_from_civil(parts_of(d).year, 1, 1) + 1; });
}
Signature bind_hour(const std::vector<Arg>& args) {
  return time_field("hour", args, [](int64_t in_day) { return in_day / kMicrosPerHour; });
}
Signature bind_minute(const std::vector<Arg>& args) {
  return time_field("minute", args, [](int64_t in_day) { return in_day / kMicrosPerMinute % 60; });
}
Signature bind_second(const std::vector<Arg>& args) {
  return time_field("second", args, [](int64_t in_day) { return in_day / kMicrosPerSecond % 60; });
}

Signature bind_date_add(const std::vector<Arg>& args) {
  expect_arg_count("date_add", args, 2, 2);
  return simple<DateT, DateT, IntT>([](int32_t& out, int32_t days, int32_t n) {
    out = static_cast<int32_t>(static_cast<uint32_t>(days) + static_cast<uint32_t>(n));
  });
}
Signature bind_date_sub(const std::vector<Arg>& args) {
  expect_arg_count("date_sub", args, 2, 2);
  return simple<DateT, DateT, IntT>([](int32_t& out, int32_t days, int32_t n) {
    out = static_cast<int32_t>(static_cast<uint32_t>(days) - static_cast<uint32_t>(n));
  });
}
Signature bind_datediff(const std::vector<Arg>& args) {
  expect_arg_count("datediff", args, 2, 2);
  return simple<IntT, DateT, DateT>(
      [](int32_t& out, int32_t end, int32_t start) { out = static_cast<int32_t>(int64_t{end} - start); });
}

// window_time(window): the window's end - 1 microsecond, the latest time inside
// it (Spark 3.4+). The argument is the struct<start, end> a window() or
// session_window() key gives an aggregation's output; Spark makes the result
// an event-time column when the window is one.
Signature bind_window_time(const std::vector<Arg>& args) {
  expect_arg_count("window_time", args, 1, 1);
  const DataType& w = args[0].type;
  const DataType timestamp = DataType::of(TypeId::Timestamp);
  if (w.id != TypeId::Struct || w.fields.size() != 2 || w.fields[0].name != "start" || w.fields[1].name != "end" ||
      !(w.fields[0].type == timestamp) || !(w.fields[1].type == timestamp))
    throw BindError("window_time() takes a window column (struct<start: timestamp, end: timestamp>), not " +
                    w.to_string());
  return Signature{{w}, timestamp, [](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
                     const Column& window = *cols[0];
                     const Column& end = *window.children()[1];
                     auto out = Column::make(DataType::of(TypeId::Timestamp), rows);
                     out->resize(rows);
                     const int64_t* in = end.data<int64_t>();
                     int64_t* dst = out->data<int64_t>();
                     for (size_t i = 0; i < rows; ++i) dst[i] = in[i] - 1;
                     for (size_t i = 0; i < rows; ++i)
                       if (window.is_null(i) || end.is_null(i)) out->set_null(i);
                     return out;
                   }};
}

}  // namespace runnel::fn
