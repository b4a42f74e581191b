// Spark 3 datetime patterns ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), compiled once
// and used to parse text to timestamps and format timestamps to text, in
// runnel's session time zone, UTC. Follows Spark's rules: week-based letters
// (Y w W u e c) are rejected, a fraction S..S parses 1 to n digits, missing
// fields default to 1970-01-01 00:00:00, h without a means AM, and the whole
// text must be consumed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runnel::fn {

class DateTimePattern {
 public:
  // Throws BindError with Spark's wording for an invalid pattern.
  explicit DateTimePattern(std::string_view pattern);

  // Microseconds since the epoch, or nullopt when `text` does not match.
  std::optional<int64_t> parse(std::string_view text) const;
  // Appends `micros` formatted by the pattern.
  void format(int64_t micros, std::string& out) const;

 private:
  struct Token {
    char letter;  // 0 for literal text
    int count;    // repeated letters
    std::string literal;
    int reserved;  // digits owed to adjacent fixed-width numeric fields that follow
  };
  std::vector<Token> tokens_;
};

}  // namespace runnel::fn
