#include "function_testing.hpp"
#include "types/timestamp.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
int64_t ts(std::string_view text) {
  auto v = parse_timestamp(text);
  REQUIRE_MESSAGE(v.has_value(), text);
  return *v;
}
int32_t date(std::string_view text) { return *parse_date(text); }

std::optional<int64_t> to_ts(std::string_view text, std::optional<std::string_view> format = std::nullopt) {
  std::vector<Input> in{strings({text})};
  if (format) in.push_back(lit(*format, 1));
  return values<TimestampT>(call("to_timestamp", in))[0];
}

OptString format(int64_t micros, std::string_view pattern) {
  return texts(call("date_format", {column<TimestampT>({micros}), lit(pattern, 1)}))[0];
}

std::optional<int64_t> trunc(std::string_view unit, std::string_view text) {
  return values<TimestampT>(call("date_trunc", {lit(unit, 1), column<TimestampT>({ts(text)})}))[0];
}
}  // namespace

TEST_CASE("to_timestamp without a pattern casts") {
  CHECK(to_ts("2016-12-31 00:12:00") == ts("2016-12-31 00:12:00"));
  CHECK(to_ts("2016-12-31") == ts("2016-12-31 00:00:00"));
  CHECK(to_ts("not a time") == std::nullopt);
  CHECK(column_is<TimestampT>(call("to_timestamp", {strings({std::nullopt})}), {std::nullopt}));
  CHECK(bind("to_timestamp", {column<DateT>({1})}).args[0] == DataType::of(TypeId::Timestamp));
}

TEST_CASE("to_timestamp with a Spark pattern") {
  CHECK(to_ts("2016-12-31", "yyyy-MM-dd") == ts("2016-12-31"));
  CHECK(to_ts("2024-01-02T10:11:12.345+02:00", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") ==
        ts("2024-01-02 08:11:12.345"));
  CHECK(to_ts("2024-01-02T10:11:12.345Z", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") == ts("2024-01-02 10:11:12.345"));
  CHECK(to_ts("2024-01-02 10:11:12 -0130", "yyyy-MM-dd HH:mm:ss Z") == ts("2024-01-02 11:41:12"));
  CHECK(to_ts("12/31/2016 11:59:59 PM", "MM/dd/yyyy hh:mm:ss a") == ts("2016-12-31 23:59:59"));
  CHECK(to_ts("12/31/2016 12:00:00 AM", "MM/dd/yyyy hh:mm:ss a") == ts("2016-12-31 00:00:00"));
  CHECK(to_ts("20240102", "yyyyMMdd") == ts("2024-01-02"));
  CHECK(to_ts("20240102103000", "yyyyMMddHHmmss") == ts("2024-01-02 10:30:00"));
  CHECK(to_ts("02 jan 2024", "dd MMM yyyy") == ts("2024-01-02"));
  CHECK(to_ts("February 3, 2024", "MMMM d, yyyy") == ts("2024-02-03"));
  CHECK(to_ts("2024-01-02 10:11:12.1", "yyyy-MM-dd HH:mm:ss.SSS") == ts("2024-01-02 10:11:12.1"));
  CHECK(to_ts("2024-01-02 10:11:12.123456", "yyyy-MM-dd HH:mm:ss.SSSSSS") ==
        ts("2024-01-02 10:11:12.123456"));
  CHECK(to_ts("1969-12-31 23:59:59.5", "yyyy-MM-dd HH:mm:ss.S") == -500000);
  CHECK(to_ts("24-03-01", "yy-MM-dd") == ts("2024-03-01"));
  CHECK(to_ts("2024 060", "yyyy DDD") == ts("2024-02-29"));
  CHECK(to_ts("2024-01-02 it's", "yyyy-MM-dd 'it''s'") == ts("2024-01-02"));
}

TEST_CASE("to_timestamp gives NULL for text that does not match") {
  CHECK(to_ts("2020-1-5", "yyyy-MM-dd") == std::nullopt);
  CHECK(to_ts("2020-1-5", "yyyy-M-d") == ts("2020-01-05"));
  CHECK(to_ts("2021-02-30", "yyyy-MM-dd") == std::nullopt);
  CHECK(to_ts("2021-02-29", "yyyy-MM-dd") == std::nullopt);
  CHECK(to_ts("2024-01-02 10:11:12.123", "yyyy-MM-dd HH:mm:ss") == std::nullopt);
  CHECK(to_ts("2024-01-02 25:00:00", "yyyy-MM-dd HH:mm:ss") == std::nullopt);
  CHECK(to_ts("", "yyyy-MM-dd") == std::nullopt);
  CHECK(to_ts(" 2024-01-02", "yyyy-MM-dd") == std::nullopt);
}

TEST_CASE("invalid patterns are bind errors") {
  auto s = strings({"x"});
  CHECK(bind_error("to_timestamp", {s, lit("YYYY-MM-dd", 1)}).find("week-based pattern letter 'Y'") !=
        std::string::npos);
  CHECK(bind_error("to_timestamp", {s, lit("yyyy-MM-dd bb", 1)}).find("illegal pattern character 'b'") !=
        std::string::npos);
  CHECK(bind_error("date_format", {column<TimestampT>({0}), lit("MMMMMM", 1)})
            .find("too many pattern letters: M") != std::string::npos);
  CHECK(bind_error("date_format", {column<TimestampT>({0}), lit("'abc", 1)}).find("unterminated quote") !=
        std::string::npos);
  // A computed invalid pattern gives NULL for its rows.
  auto out = call("to_timestamp", {strings({"2024", "2024"}), strings({"yyyy", "YYYY"})});
  CHECK(column_is<TimestampT>(out, {ts("2024-01-01"), std::nullopt}));
}

TEST_CASE("to_date") {
  auto in = strings({"2024-01-02", "2024-01-02 23:59:59", "junk", std::nullopt});
  CHECK(column_is<DateT>(call("to_date", {in}),
                         {date("2024-01-02"), date("2024-01-02"), std::nullopt, std::nullopt}));
  CHECK(column_is<DateT>(call("to_date", {strings({"02/01/2024"}), lit("dd/MM/yyyy", 1)}),
                         {date("2024-01-02")}));
  CHECK(column_is<DateT>(call("to_date", {strings({"1969-12-31 23:00"}), lit("yyyy-MM-dd HH:mm", 1)}), {-1}));
}

TEST_CASE("epoch conversions floor before 1970") {
  CHECK(column_is<TimestampT>(call("timestamp_seconds", {column<LongT>({1230219000, std::nullopt})}),
                              {ts("2008-12-25 15:30:00"), std::nullopt}));
  CHECK(column_is<TimestampT>(call("timestamp_seconds", {column<DoubleT>({1230219000.123, NAN})}),
                              {ts("2008-12-25 15:30:00.123"), std::nullopt}));
  CHECK(column_is<TimestampT>(call("timestamp_seconds", {column<LongT>({INT64_MAX / 10})}), {std::nullopt}));
  CHECK(column_is<TimestampT>(call("timestamp_millis", {column<LongT>({1230219000123})}),
                              {ts("2008-12-25 15:30:00.123")}));
  CHECK(column_is<TimestampT>(call("timestamp_micros", {column<LongT>({-1})}), {-1}));
  auto before = column<TimestampT>({ts("1969-12-31 23:59:59.5"), ts("2008-12-25 15:30:00.123456")});
  CHECK(column_is<LongT>(call("unix_seconds", {before}), {-1, 1230219000}));
  CHECK(column_is<LongT>(call("unix_millis", {before}), {-500, 1230219000123}));
  CHECK(column_is<LongT>(call("unix_micros", {before}), {-500000, 1230219000123456}));
}

TEST_CASE("from_unixtime and unix_timestamp") {
  auto seconds = column<LongT>({0, -1, 1460073600, std::nullopt});
  CHECK(texts_are(call("from_unixtime", {seconds}),
                  {"1970-01-01 00:00:00", "1969-12-31 23:59:59", "2016-04-08 00:00:00", std::nullopt}));
  CHECK(texts_are(call("from_unixtime", {column<LongT>({0})}, SIZE_MAX), {"1970-01-01 00:00:00"}));
  CHECK(texts_are(call("from_unixtime", {column<LongT>({0}), lit("yyyy/MM/dd", 1)}), {"1970/01/01"}));
  expr::EvalContext ctx{1'700'000'000'123'456};
  CHECK(column_is<LongT>(call("unix_timestamp", {}, 2, ctx), {1700000000, 1700000000}));
  CHECK(column_is<LongT>(call("unix_timestamp", {strings({"2016-04-08", "x"}), lit("yyyy-MM-dd", 2)}),
                         {1460073600, std::nullopt}));
  CHECK(column_is<LongT>(call("unix_timestamp", {strings({"2016-04-08 00:00:01", "2016-04-08"})}),
                         {1460073601, std::nullopt}));
  CHECK(column_is<LongT>(call("unix_timestamp", {column<TimestampT>({-1})}), {-1}));
}

TEST_CASE("date_trunc") {
  CHECK(trunc("YEAR", "2015-03-05 09:32:05.359") == ts("2015-01-01"));
  CHECK(trunc("yyyy", "2015-03-05 09:32:05.359") == ts("2015-01-01"));
  CHECK(trunc("quarter", "2015-05-05 09:32:05") == ts("2015-04-01"));
  CHECK(trunc("MM", "2015-03-05 09:32:05.359") == ts("2015-03-01"));
  CHECK(trunc("week", "2024-01-03 10:00:00") == ts("2024-01-01"));
  CHECK(trunc("week", "2024-01-07 23:59:59") == ts("2024-01-01"));
  CHECK(trunc("week", "2024-01-08 00:00:00") == ts("2024-01-08"));
  CHECK(trunc("DD", "2015-03-05 09:32:05.359") == ts("2015-03-05"));
  CHECK(trunc("HOUR", "2015-03-05 09:32:05.359") == ts("2015-03-05 09:00:00"));
  CHECK(trunc("minute", "2015-03-05 09:32:05.359") == ts("2015-03-05 09:32:00"));
  CHECK(trunc("second", "2015-03-05 09:32:05.359") == ts("2015-03-05 09:32:05"));
  CHECK(trunc("MILLISECOND", "2015-03-05 09:32:05.123456") == ts("2015-03-05 09:32:05.123"));
  CHECK(trunc("microsecond", "2015-03-05 09:32:05.123456") == ts("2015-03-05 09:32:05.123456"));
  CHECK(trunc("decade", "2015-03-05 09:32:05") == std::nullopt);
  // Before 1970 truncation floors.
  CHECK(trunc("hour", "1969-12-31 23:59:59.5") == ts("1969-12-31 23:00:00"));
  CHECK(trunc("day", "1969-12-31 23:59:59.5") == ts("1969-12-31"));
  CHECK(trunc("second", "1969-12-31 23:59:59.5") == ts("1969-12-31 23:59:59"));
  CHECK(trunc("year", "1969-12-31 23:59:59.5") == ts("1969-01-01"));
  CHECK(trunc("week", "1970-01-01 00:00:00") == ts("1969-12-29"));
  // A unit computed per row.
  auto out = call("date_trunc",
                  {strings({"year", "bogus"}), column<TimestampT>({ts("2015-03-05"), ts("2015-03-05")})});
  CHECK(column_is<TimestampT>(out, {ts("2015-01-01"), std::nullopt}));
  CHECK(column_is<DateT>(
      call("trunc", {column<DateT>({date("2019-08-04"), date("2019-08-04")}), strings({"quarter", "day"})}),
      {date("2019-07-01"), std::nullopt}));
}

TEST_CASE("date_format") {
  int64_t t = ts("2016-04-08 13:05:06.123");
  CHECK(format(t, "y") == "2016");
  CHECK(format(t, "yy") == "16");
  CHECK(format(t, "yyyy-MM-dd HH:mm:ss.SSS") == "2016-04-08 13:05:06.123");
  CHECK(format(t, "EEE, d MMM yyyy hh:mm a") == "Fri, 8 Apr 2016 01:05 PM");
  CHECK(format(t, "EEEE MMMM D") == "Friday April 99");
  CHECK(format(t, "yyyy-MM-dd'T'HH:mm:ssXXX") == "2016-04-08T13:05:06Z");
  CHECK(format(t, "Z xxx z") == "+0000 +00:00 UTC");
  CHECK(format(t, "QQQ 'o''clock'") == "Q2 o'clock");
  CHECK(format(t, "SSSSSSSSS") == "123000000");
  CHECK(format(ts("1969-12-31 23:59:59.5"), "yyyy-MM-dd HH:mm:ss.SSS") == "1969-12-31 23:59:59.500");
  CHECK(format(ts("2016-04-08 00:05:00"), "h:mm a k") == "12:05 AM 24");
}

TEST_CASE("current_timestamp is the batch's time on every row") {
  expr::EvalContext ctx{ts("2024-05-06 07:08:09.5")};
  CHECK(column_is<TimestampT>(call("current_timestamp", {}, 3, ctx),
                              {ctx.batch_timestamp_us, ctx.batch_timestamp_us, ctx.batch_timestamp_us}));
  CHECK(column_is<TimestampT>(call("now", {}, 1, ctx), {ctx.batch_timestamp_us}));
  CHECK(column_is<DateT>(call("current_date", {}, 1, ctx), {date("2024-05-06")}));
  CHECK(bind_error("current_timestamp", {column<IntT>({1})}) ==
        "current_timestamp expects 0 arguments, got 1");
}

TEST_CASE("date and time fields") {
  auto dates = column<DateT>({date("2024-02-29"), -1, std::nullopt});
  CHECK(column_is<IntT>(call("year", {dates}), {2024, 1969, std::nullopt}));
  CHECK(column_is<IntT>(call("month", {dates}), {2, 12, std::nullopt}));
  CHECK(column_is<IntT>(call("day", {dates}), {29, 31, std::nullopt}));
  CHECK(column_is<IntT>(call("dayofmonth", {dates}), {29, 31, std::nullopt}));
  CHECK(column_is<IntT>(call("quarter", {dates}), {1, 4, std::nullopt}));
  CHECK(column_is<IntT>(call("dayofweek", {dates}), {5, 4, std::nullopt}));  // Thursday, Wednesday
  CHECK(column_is<IntT>(call("dayofyear", {dates}), {60, 365, std::nullopt}));
  auto times = column<TimestampT>({ts("2024-01-02 10:11:12.9"), -1});
  CHECK(column_is<IntT>(call("hour", {times}), {10, 23}));
  CHECK(column_is<IntT>(call("minute", {times}), {11, 59}));
  CHECK(column_is<IntT>(call("second", {times}), {12, 59}));
  CHECK(bind("year", {column<TimestampT>({0})}).args[0] == DataType::of(TypeId::Date));
  CHECK(column_is<DateT>(call("date_add", {column<DateT>({0}), column<IntT>({-1})}), {-1}));
  CHECK(column_is<DateT>(call("date_sub", {column<DateT>({0}), column<IntT>({1})}), {-1}));
  CHECK(column_is<IntT>(
      call("datediff", {column<DateT>({date("2009-07-31")}), column<DateT>({date("2009-07-30")})}), {1}));
}
