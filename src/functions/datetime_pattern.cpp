#include "functions/datetime_pattern.hpp"

#include <cctype>
#include <charconv>

#include "functions/function.hpp"
#include "functions/time_units.hpp"
#include "types/timestamp.hpp"

namespace runnel::fn {

namespace {

// Years whose microseconds still fit in int64.
constexpr int64_t kMaxYear = 290'000;

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kWeekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};

struct Width {
  int min, max;
  bool fixed() const { return min == max; }
};

bool is_numeric_letter(char letter, int count) {
  switch (letter) {
    case 'y':
    case 'd':
    case 'D':
    case 'H':
    case 'h':
    case 'k':
    case 'K':
    case 'm':
    case 's':
      return true;
    case 'M':
    case 'L':
    case 'Q':
    case 'q':
      return count <= 2;
    default:
      return false;
  }
}

// Digits a numeric field accepts when parsing (Java's appendValue widths as Spark sets them up).
Width numeric_width(char letter, int count) {
  if (letter == 'y') return count == 2 ? Width{2, 2} : Width{count, 19};
  if (letter == 'D') return count == 1 ? Width{1, 3} : Width{count, 3};
  return count == 1 ? Width{1, 2} : Width{2, 2};
}

int max_count(char letter) {
  switch (letter) {
    case 'y':
      return 19;
    case 'S':
      return 9;
    case 'M':
    case 'L':
    case 'E':
    case 'X':
    case 'x':
    case 'Z':
    case 'G':
    case 'Q':
    case 'q':
      return 5;
    case 'z':
      return 4;
    case 'D':
      return 3;
    case 'a':
      return 1;
    case 'O':
      return 4;
    case 'V':
      return 2;
    default:
      return 2;  // d H h k K m s
  }
}

bool is_supported_letter(char c) {
  return std::string_view("yMLdDHhkKmsSEaXxZzVOGQq").find(c) != std::string_view::npos;
}

bool is_week_based_letter(char c) { return std::string_view("YwWuec").find(c) != std::string_view::npos; }

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Fields gathered while parsing; resolved into a timestamp at the end.
struct Parsed {
  int64_t year = 1970;
  int64_t month = 1, day = 1, day_of_year = -1;
  int64_t hour = -1, hour_of_ampm = -1, pm = -1;
  int64_t minute = 0, second = 0, micros = 0;
  int64_t offset_seconds = 0;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  size_t digits_ahead() const {
    size_t n = 0;
    while (i_ + n < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + n]))) ++n;
    return n;
  }
  // Reads between `min` and `max` digits, leaving `reserved` for the fields that follow.
  bool number(Width w, int reserved, int64_t& value) {
    int available = static_cast<int>(digits_ahead());
    int take = std::min(w.max, reserved > 0 ? available - reserved : available);
    if (take < w.min) return false;
    value = 0;
    for (int k = 0; k < take; ++k) {
      if (value > (INT64_MAX - 9) / 10) return false;  // a 19-digit year beyond int64
      value = value * 10 + (s_[i_++] - '0');
    }
    return true;
  }
  // Case-insensitive match of `word` (or its first `prefix` letters when prefix > 0).
  bool word(std::string_view word) {
    if (s_.size() - i_ < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(s_[i_ + k])) !=
          std::tolower(static_cast<unsigned char>(word[k])))
        return false;
    i_ += word.size();
    return true;
  }
  // One of `names` (full, or their 3-letter forms when `short_form`); returns the index.
  int name(const char* const* names, int n, bool short_form) {
    for (int k = 0; k < n; ++k) {
      std::string_view full(names[k]);
      if (word(short_form ? full.substr(0, 3) : full)) return k;
    }
    return -1;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// "+HH", "+HHmm", "+HH:mm", "+HH:mm:ss", or "Z" where the letter allows it.
bool parse_offset(Scanner& in, char letter, int count, int64_t& seconds) {
  bool z_allowed = letter == 'X' || (letter == 'Z' && count == 5);
  if (z_allowed && (in.eat('Z') || in.eat('z'))) {
    seconds = 0;
    return true;
  }
  if (letter == 'O' || (letter == 'Z' && count == 4)) {
    if (!in.word("GMT")) return false;
    if (in.peek() != '+' && in.peek() != '-') {
      seconds = 0;
      return true;
    }
  }
  int sign = in.eat('+') ? 1 : (in.eat('-') ? -1 : 0);
  if (sign == 0) return false;
  int64_t hh = 0, mm = 0, ss = 0;
  if (!in.number({1, 2}, 0, hh) || hh > 18) return false;
  bool colon = in.eat(':');
  if (in.digits_ahead() >= 2) {
    in.number({2, 2}, 0, mm);
    if ((colon || in.peek() == ':') && in.eat(':') && in.digits_ahead() >= 2)
      in.number({2, 2}, 0, ss);
    else if (!colon && in.digits_ahead() >= 2)
      in.number({2, 2}, 0, ss);
  } else if (colon) {
    return false;
  }
  if (mm > 59 || ss > 59) return false;
  seconds = sign * (hh * 3600 + mm * 60 + ss);
  return true;
}

// A zone name: only UTC and its spellings are known (runnel has no time zone database).
bool parse_zone_name(Scanner& in, int64_t& seconds) {
  for (const char* name : {"Etc/UTC", "UTC", "GMT", "Z"}) {
    if (in.word(name)) {
      seconds = 0;
      return true;
    }
  }
  return false;
}

bool parse_field(Scanner& in, char letter, int count, int reserved, Parsed& p) {
  if (is_numeric_letter(letter, count)) {
    int64_t v = 0;
    if (!in.number(numeric_width(letter, count), reserved, v)) return false;
    switch (letter) {
      case 'y':
        p.year = count == 2 ? 2000 + v : v;
        return v <= kMaxYear;
      case 'M':
      case 'L':
        p.month = v;
        return v >= 1 && v <= 12;
      case 'd':
        p.day = v;
        return v >= 1 && v <= 31;
      case 'D':
        p.day_of_year = v;
        return v >= 1 && v <= 366;
      case 'H':
        p.hour = v;
        return v <= 23;
      case 'k':
        p.hour = v % 24;
        return v >= 1 && v <= 24;
      case 'h':
        p.hour_of_ampm = v % 12;
        return v >= 1 && v <= 12;
      case 'K':
        p.hour_of_ampm = v;
        return v <= 11;
      case 'm':
        p.minute = v;
        return v <= 59;
      case 's':
        p.second = v;
        return v <= 59;
      default:
        return v >= 1 && v <= 4;  // quarter: checked, then implied by the month
    }
  }
  switch (letter) {
    case 'M':
    case 'L': {
      int m = in.name(kMonths, 12, count == 3);
      p.month = m + 1;
      return m >= 0;
    }
    case 'S': {
      int64_t v = 0;
      size_t digits = std::min<size_t>(in.digits_ahead(), count);
      if (digits == 0 || !in.number({1, count}, 0, v)) return false;
      for (size_t k = digits; k < 6; ++k) v *= 10;
      for (size_t k = 6; k < digits; ++k) v /= 10;
      p.micros = v;
      return true;
    }
    case 'E':
      return in.name(kWeekdays, 7, count <= 3) >= 0;
    case 'a':
      if (in.word("AM"))
        p.pm = 0;
      else if (in.word("PM"))
        p.pm = 1;
      else
        return false;
      return true;
    case 'G':
      return in.word("AD");
    case 'z':
    case 'V':
      return parse_zone_name(in, p.offset_seconds);
    default:
      return parse_offset(in, letter, count, p.offset_seconds);  // X x Z O
  }
}

std::optional<int64_t> resolve(const Parsed& p) {
  int64_t month = p.month, day = p.day;
  if (p.day_of_year > 0) {
    if (p.day_of_year > (is_leap(p.year) ? 366 : 365)) return std::nullopt;
    int64_t left = p.day_of_year;
    for (month = 1; left > days_in_month(p.year, static_cast<int>(month)); ++month)
      left -= days_in_month(p.year, static_cast<int>(month));
    day = left;
  }
  if (p.year < -kMaxYear || day > days_in_month(p.year, static_cast<int>(month))) return std::nullopt;
  int64_t hour =
      p.hour >= 0 ? p.hour : (p.hour_of_ampm >= 0 ? p.hour_of_ampm + 12 * std::max<int64_t>(p.pm, 0) : 0);
  if (p.hour >= 0 && p.pm >= 0 && (p.hour >= 12) != (p.pm == 1)) return std::nullopt;
  int64_t days = days_from_civil(p.year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = hour * 3600 + p.minute * 60 + p.second - p.offset_seconds;
  int64_t micros;
  if (__builtin_mul_overflow(days, kMicrosPerDay, &micros) ||
      __builtin_add_overflow(micros, seconds * kMicrosPerSecond + p.micros, &micros))
    return std::nullopt;  // beyond the timestamp range
  return micros;
}

void pad_number(int64_t v, int width, std::string& out) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  const char* first = digits;
  if (v < 0) {
    out += '-';
    ++first;
  }
  if (end - first < width) out.append(width - (end - first), '0');
  out.append(first, static_cast<size_t>(end - first));
}

// The broken-down UTC time of a timestamp, for formatting.
struct Civil {
  int64_t year;
  unsigned month, day;
  int64_t day_of_year, weekday;  // weekday: 0 = Monday
  int64_t hour, minute, second, micros;
};

Civil civil_of(int64_t micros) {
  Civil c{};
  int64_t days = floor_div(micros, kMicrosPerDay);
  int64_t in_day = micros_of_day(micros);
  civil_from_days(days, c.year, c.month, c.day);
  c.day_of_year = days - days_from_civil(c.year, 1, 1) + 1;
  c.weekday = floor_mod(days + 3, 7);  // 1970-01-01 was a Thursday
  c.hour = in_day / kMicrosPerHour;
  c.minute = in_day / kMicrosPerMinute % 60;
  c.second = in_day / kMicrosPerSecond % 60;
  c.micros = in_day % kMicrosPerSecond;
  return c;
}

void format_offset_utc(char letter, int count, std::string& out) {
  switch (letter) {
    case 'X':
      out += 'Z';
      break;
    case 'x':
      out += count == 1 ? "+00" : (count == 3 || count == 5 ? "+00:00" : "+0000");
      break;
    case 'Z':
      out += count <= 3 ? "+0000" : (count == 4 ? "GMT" : "Z");
      break;
    case 'O':
      out += "GMT";
      break;
    case 'z':
      out += count == 4 ? "Coordinated Universal Time" : "UTC";
      break;
    default:
      out += "UTC";
      break;  // V
  }
}

void format_field(const Civil& c, char letter, int count, std::string& out) {
  switch (letter) {
    case 'y':
      count == 2 ? pad_number(floor_mod(c.year, 100), 2, out) : pad_number(c.year, count, out);
      break;
    case 'M':
    case 'L':
      if (count <= 2)
        pad_number(c.month, count, out);
      else
        out += std::string_view(kMonths[c.month - 1]).substr(0, count == 3 ? 3 : (count == 5 ? 1 : 20));
      break;
    case 'd':
      pad_number(c.day, count, out);
      break;
    case 'D':
      pad_number(c.day_of_year, count, out);
      break;
    case 'H':
      pad_number(c.hour, count, out);
      break;
    case 'k':
      pad_number(c.hour == 0 ? 24 : c.hour, count, out);
      break;
    case 'h':
      pad_number(c.hour % 12 == 0 ? 12 : c.hour % 12, count, out);
      break;
    case 'K':
      pad_number(c.hour % 12, count, out);
      break;
    case 'm':
      pad_number(c.minute, count, out);
      break;
    case 's':
      pad_number(c.second, count, out);
      break;
    case 'S': {
      std::string digits = std::to_string(c.micros);
      digits.insert(0, 6 - digits.size(), '0');
      digits.append(3, '0');  // nanoseconds
      out += digits.substr(0, count);
      break;
    }
    case 'E':
      out += std::string_view(kWeekdays[c.weekday]).substr(0, count <= 3 ? 3 : (count == 5 ? 1 : 20));
      break;
    case 'a':
      out += c.hour < 12 ? "AM" : "PM";
      break;
    case 'G':
      out += count == 4 ? "Anno Domini" : (count == 5 ? "A" : "AD");
      break;
    case 'Q':
    case 'q': {
      int64_t q = (c.month - 1) / 3 + 1;
      static const char* const kLong[] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};
      static const char* const kShort[] = {"Q1", "Q2", "Q3", "Q4"};
      if (count <= 2)
        pad_number(q, count, out);
      else
        out += (count == 3 ? kShort : kLong)[q - 1];
      break;
    }
    default:
      format_offset_utc(letter, count, out);
  }
}

[[noreturn]] void invalid_pattern(std::string_view pattern, const std::string& why) {
  throw BindError("invalid datetime pattern '" + std::string(pattern) + "': " + why);
}

}  // namespace

DateTimePattern::DateTimePattern(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '\'') {  // quoted literal; '' is a quote
      std::string text;
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '\'') {
        text = "'";
        j += 1;
      } else {
        for (;; ++j) {
          if (j == pattern.size()) invalid_pattern(pattern, "unterminated quote");
          if (pattern[j] != '\'') {
            text += pattern[j];
          } else if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            text += '\'';
            ++j;
          } else {
            break;
          }
        }
        ++j;
      }
      tokens_.push_back({0, 0, text, 0});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < pattern.size() && pattern[j] == c) ++j;
      int count = static_cast<int>(j - i);
      if (is_week_based_letter(c))
        invalid_pattern(pattern, std::string("week-based pattern letter '") + c +
                                     "' is unsupported since Spark 3.0; use EXTRACT instead");
      if (!is_supported_letter(c))
        invalid_pattern(pattern, std::string("illegal pattern character '") + c + "'");
      if (count > max_count(c) || (c == 'V' && count != 2) || (c == 'O' && count != 1 && count != 4))
        invalid_pattern(pattern, std::string("too many pattern letters: ") + c);
      tokens_.push_back({c, count, "", 0});
      i = j;
    } else {
      tokens_.push_back({0, 0, std::string(1, c), 0});
      ++i;
    }
  }
  // Adjacent value parsing ("yyyyMMdd"): a variable-width number leaves the
  // digits of the fixed-width numbers right after it.
  for (size_t t = 0; t < tokens_.size(); ++t) {
    for (size_t u = t + 1;
         u < tokens_.size() && tokens_[u].letter && is_numeric_letter(tokens_[u].letter, tokens_[u].count);
         ++u) {
      Width w = numeric_width(tokens_[u].letter, tokens_[u].count);
      if (!w.fixed()) break;
      tokens_[t].reserved += w.min;
    }
  }
}

std::optional<int64_t> DateTimePattern::parse(std::string_view text) const {
  Scanner in(text);
  Parsed p;
  for (const Token& t : tokens_) {
    if (t.letter == 0) {
      if (!in.word(t.literal)) return std::nullopt;
    } else if (!parse_field(in, t.letter, t.count, t.reserved, p)) {
      return std::nullopt;
    }
  }
  if (!in.done()) return std::nullopt;
  return resolve(p);
}

void DateTimePattern::format(int64_t micros, std::string& out) const {
  Civil c = civil_of(micros);
  for (const Token& t : tokens_) {
    if (t.letter == 0) {
      out += t.literal;
    } else {
      format_field(c, t.letter, t.count, out);
    }
  }
}

}  // namespace runnel::fn
