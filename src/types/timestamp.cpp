#include "types/timestamp.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace runnel {

// Howard Hinnant's civil-calendar algorithms (public domain description).
int32_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int32_t>(era * 146097 + static_cast<int64_t>(doe) - 719468);
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  bool peek(char c) const { return i < s.size() && s[i] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++i;
    return true;
  }
  // Exactly `n` digits (n=0: one or more, up to 9).
  bool digits(int n, int64_t& value) {
    value = 0;
    int count = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && (n == 0 ? count < 9 : count < n)) {
      value = value * 10 + (s[i++] - '0');
      ++count;
    }
    return n == 0 ? count > 0 : count == n;
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool days_in_range(int64_t y, int64_t m, int64_t d) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

bool parse_date_part(Cursor& c, int32_t& days) {
  int64_t y, m, d;
  if (!c.digits(4, y) || !c.eat('-') || !c.digits(0, m) || m > 12 || !c.eat('-') || !c.digits(0, d)) return false;
  if (!days_in_range(y, m, d)) return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// "+hh:mm", "-hh", "+hhmm", "Z" -> offset in seconds.
bool parse_zone(Cursor& c, int64_t& offset_s) {
  offset_s = 0;
  if (c.done()) return true;
  if (c.eat('Z') || c.eat('z')) return c.done();
  if (c.s.substr(c.i) == "UTC") return true;
  int sign = c.eat('+') ? 1 : c.eat('-') ? -1 : 0;
  if (!sign) return false;
  int64_t hh, mm = 0;
  if (!c.digits(2, hh)) return false;
  if (c.eat(':')) {
    if (!c.digits(2, mm)) return false;
  } else if (!c.done() && !c.digits(2, mm)) {
    return false;
  }
  if (hh > 18 || mm > 59) return false;
  offset_s = sign * (hh * 3600 + mm * 60);
  return c.done();
}

}  // namespace

namespace {

inline bool digit(char c) { return static_cast<unsigned>(c - '0') < 10; }
inline int64_t d2(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

// The common machine-written form "yyyy-MM-ddTHH:mm:ss[.fff...]Z" (or a
// space for T), read at fixed positions; nullopt sends the caller to the
// general parser.
std::optional<int64_t> parse_canonical(std::string_view s) {
  if (s.size() < 20 || s.back() != 'Z') return std::nullopt;
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
    return std::nullopt;
  // "HH:MM:SS" as one word: XOR with '0' maps exactly the digits to 0..9, so
  // one test checks the six digit positions at once.
  uint64_t t;
  std::memcpy(&t, p + 11, 8);
  t ^= 0x3030303030303030ull;
  if (((t + 0x7676767676767676ull) | t) & 0x8080008080008080ull) return std::nullopt;
  auto byte = [t](int i) { return static_cast<int64_t>((t >> (8 * i)) & 0xFF); };
  int64_t hh = byte(0) * 10 + byte(1), mi = byte(3) * 10 + byte(4), ss = byte(6) * 10 + byte(7);
  if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;
  // Rows of a stream mostly share their day: convert the date once per day.
  static thread_local char cached_date[10] = {};
  static thread_local int64_t cached_days = 0;
  if (std::memcmp(p, cached_date, 10) != 0) {
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (!digit(p[i])) return std::nullopt;
    int64_t y = d2(p) * 100 + d2(p + 2), m = d2(p + 5), d = d2(p + 8);
    if (!days_in_range(y, m, d)) return std::nullopt;
    cached_days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    std::memcpy(cached_date, p, 10);
  }
  int64_t micros = 0;
  const size_t end = s.size() - 1;
  if (end > 19) {
    const size_t digits = end - 20;
    if (p[19] != '.' || digits == 0 || digits > 9) return std::nullopt;
    int64_t fraction = 0;
    for (size_t i = 20; i < end; ++i) {
      if (!digit(p[i])) return std::nullopt;
      fraction = fraction * 10 + (p[i] - '0');
    }
    static constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    micros = digits <= 6 ? fraction * kPow10[6 - digits] : fraction / kPow10[digits - 6];
  }
  return (cached_days * 86400 + hh * 3600 + mi * 60 + ss) * 1000000 + micros;
}

}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view text) {
  if (auto fast = parse_canonical(text)) return fast;
  Cursor c{trim(text)};
  int32_t days;
  if (!parse_date_part(c, days)) return std::nullopt;
  int64_t hh = 0, mi = 0, ss = 0, micros = 0, offset_s = 0;
  if (c.eat('T') || c.eat(' ')) {
    if (!c.digits(0, hh) || hh > 23 || !c.eat(':') || !c.digits(2, mi) || mi > 59) return std::nullopt;
    if (c.eat(':')) {
      if (!c.digits(2, ss) || ss > 59) return std::nullopt;
      if (c.eat('.')) {
        int64_t frac = 0;
        size_t start = c.i;
        if (!c.digits(0, frac)) return std::nullopt;
        size_t n = c.i - start;
        while (c.i < c.s.size() && std::isdigit(static_cast<unsigned char>(c.s[c.i]))) ++c.i;  // beyond 9
        for (; n < 6; ++n) frac *= 10;
        for (; n > 6; --n) frac /= 10;
        micros = frac;
      }
    }
  }
  if (!parse_zone(c, offset_s)) return std::nullopt;
  return (static_cast<int64_t>(days) * 86400 + hh * 3600 + mi * 60 + ss - offset_s) * 1000000 + micros;
}

std::optional<int32_t> parse_date(std::string_view text) {
  Cursor c{trim(text)};
  int32_t days;
  if (!parse_date_part(c, days)) return std::nullopt;
  if (c.done()) return days;
  if (c.peek('T') || c.peek(' ')) {
    auto ts = parse_timestamp(text);
    if (ts) return static_cast<int32_t>(floor_div(*ts, 86400LL * 1000000));
  }
  return std::nullopt;
}

namespace {

char* two(uint32_t v, char* p) {  // v < 100; unsigned: cheaper division
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// "yyyy-mm-dd" (a year outside 0-9999 in full) at p, at most 24 chars; returns the end.
char* put_date(int32_t days, char* p) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y >= 0 && y <= 9999) {
    for (int64_t div = 1000; div; div /= 10) *p++ = static_cast<char>('0' + y / div % 10);
  } else {
    const std::string year = std::to_string(y);
    p = std::copy(year.begin(), year.end(), p);
  }
  *p++ = '-';
  p = two(m, p);
  *p++ = '-';
  return two(d, p);
}

// The date, `sep` and hh:mm:ss of `micros` at p (a buffer of at least
// kTimestampIsoChars, appended once by the caller); returns the end.
char* date_time(int64_t micros, char sep, char* p, int64_t& frac) {
  // The remainder first: secs * 1000000 overflows for the earliest timestamps.
  const int64_t rem = micros % 1000000;
  const int64_t secs = micros / 1000000 - (rem < 0);
  frac = rem < 0 ? rem + 1000000 : rem;
  int64_t days = floor_div(secs, 86400);
  const auto sod = static_cast<uint32_t>(secs - days * 86400);
  // Rows of a stream mostly share their day: format it once, not per row.
  static thread_local int64_t cached_day = INT64_MIN;
  static thread_local char cached_date[24];
  static thread_local size_t cached_size = 0;
  if (days != cached_day) {
    cached_size = static_cast<size_t>(put_date(static_cast<int32_t>(days), cached_date) - cached_date);
    cached_day = days;
  }
  static_assert(sizeof cached_date <= kTimestampIsoChars, "the callers' buffers have room for the copy");
  std::memcpy(p, cached_date, sizeof cached_date);  // a fixed size copies inline
  p += cached_size;
  *p++ = sep;
  p = two(sod / 3600, p);
  *p++ = ':';
  p = two(sod / 60 % 60, p);
  *p++ = ':';
  return two(sod % 60, p);
}

// '.' and the first `digits` of the six-digit fraction at p; all six are
// written (the callers' buffers have room), so no copy of a variable length.
char* fraction(int64_t frac, int digits, char* p) {
  *p = '.';
  auto f = static_cast<uint32_t>(frac);
  for (int k = 6; k >= 1; --k, f /= 10) p[k] = static_cast<char>('0' + f % 10);
  return p + 1 + digits;
}

constexpr size_t kTimestampChars = 48;  // date (24), separator, time (8), fraction (7), zone

}  // namespace

void format_date(int32_t days, std::string& out) {
  char buf[24];
  out.append(buf, static_cast<size_t>(put_date(days, buf) - buf));
}

char* put_timestamp_iso(int64_t micros, char* p) {
  int64_t frac;
  p = date_time(micros, 'T', p, frac);
  p = fraction(frac, frac % 1000 ? 6 : 3, p);
  *p++ = 'Z';
  return p;
}

void format_timestamp_iso(int64_t micros, std::string& out) {
  char buf[kTimestampIsoChars];
  out.append(buf, static_cast<size_t>(put_timestamp_iso(micros, buf) - buf));
}

void format_timestamp_sql(int64_t micros, std::string& out) {
  char buf[kTimestampChars];
  int64_t frac;
  char* p = date_time(micros, ' ', buf, frac);
  if (frac) {
    int digits = 6;
    for (int64_t f = frac; f % 10 == 0; f /= 10) --digits;
    p = fraction(frac, digits, p);
  }
  out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace runnel
