// Timestamps and dates: microseconds / days since 1970-01-01 UTC. runnel's
// session time zone is UTC (Spark's spark.sql.session.timeZone=UTC).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel {

// Days since the epoch for a proleptic Gregorian date, and back.
int32_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day);

// Parses the ISO-8601 / Spark forms: "2024-01-02", "2024-01-02 10:11:12",
// "2024-01-02T10:11:12.123456", with optional "Z" or "+hh:mm"/"-hh[:mm]" offset
// (no offset = UTC). Returns microseconds, or nullopt when the text is not a timestamp.
std::optional<int64_t> parse_timestamp(std::string_view text);
// "2024-01-02" (also accepts a timestamp and truncates to its date).
std::optional<int32_t> parse_date(std::string_view text);

// Writers append to `out`.
// ISO-8601 as Spark's JSON/CSV writers do: "2024-01-02T10:11:12.123Z"
// (milliseconds always; microseconds added when non-zero).
void format_timestamp_iso(int64_t micros, std::string& out);
// The same at p, which has room for kTimestampIsoChars ("-290308-12-21T19:59:05.224192Z"
// at the extremes); returns the end. For writers that size their output once per batch.
constexpr size_t kTimestampIsoChars = 32;
char* put_timestamp_iso(int64_t micros, char* p);
// CAST(ts AS STRING) / console form: "2024-01-02 10:11:12" with ".123456"
// trimmed of trailing zeros when the fraction is non-zero.
void format_timestamp_sql(int64_t micros, std::string& out);
void format_date(int32_t days, std::string& out);  // "2024-01-02"

// floor division for negative timestamps
inline int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
inline int64_t floor_mod(int64_t a, int64_t b) {
  int64_t r = a % b;  // not a - floor_div(a, b) * b: that overflows at INT64_MIN
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

}  // namespace runnel
