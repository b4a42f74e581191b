// Tokenizer for Spark SQL expressions. Keywords are not distinguished here:
// they are identifiers the parser recognises case-insensitively by context,
// so a column may be named `count` or `end` without ceremony.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace runnel::expr {

enum class TokenKind {
  Identifier,        // name or keyword
  QuotedIdentifier,  // `odd name` (never a keyword)
  Integer,           // 12, 12L (text keeps the suffix)
  Decimal,           // 1.5, 1e3, .5, 1.5D
  String,            // 'text' or "text", escapes resolved, adjacent literals joined
  Symbol,            // operator or punctuation: + - * / % ( ) , . [ ] = == <> != < <= > >= <=> || | & ^ ~ !
  End,
};

struct Token {
  TokenKind kind;
  std::string text;  // identifier / number text / unescaped string / symbol
  size_t offset;     // 0-based offset in the expression text

  bool is_symbol(std::string_view s) const { return kind == TokenKind::Symbol && text == s; }
  // Case-insensitive keyword match (unquoted identifiers only).
  bool is_keyword(std::string_view word) const;
};

// Throws ExprError for an unterminated string/identifier or a stray character.
std::vector<Token> tokenize(std::string_view text);

// Builds the user-facing message "<problem> at column N of '<text>'".
[[noreturn]] void throw_expr_error(std::string_view text, size_t offset, const std::string& problem);

}  // namespace runnel::expr
