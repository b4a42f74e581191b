#include "expr/lexer.hpp"

#include <cctype>

#include "expr/expression.hpp"

namespace runnel::expr {

namespace {

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) break;
      Token t = next();
      // Spark joins adjacent string literals: 'a' 'b' = 'ab'.
      if (t.kind == TokenKind::String && !tokens.empty() && tokens.back().kind == TokenKind::String)
        tokens.back().text += t.text;
      else
        tokens.push_back(std::move(t));
    }
    tokens.push_back({TokenKind::End, "", text_.size()});
    return tokens;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "--") {  // SQL line comment
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Token next() {
    size_t start = pos_;
    char c = text_[pos_];
    if (is_ident_start(c)) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      return {TokenKind::Identifier, std::string(text_.substr(start, pos_ - start)), start};
    }
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) return number();
    if (c == '\'' || c == '"') return string_literal();
    if (c == '`') return quoted_identifier();
    static const std::string_view kSymbols[] = {"<=>", "<>", "!=", "<=", ">=", "==", "||", "+", "-", "*", "/",
                                                "%",   "(",  ")",  ",",  ".",  "[",  "]",  "=", "<", ">", "|",
                                                "&",   "^",  "~",  "!"};
    for (auto s : kSymbols)
      if (text_.substr(pos_, s.size()) == s) {
        pos_ += s.size();
        return {TokenKind::Symbol, std::string(s), start};
      }
    throw_expr_error(text_, start, "unexpected character '" + std::string(1, c) + "'");
  }

  Token number() {
    size_t start = pos_;
    bool decimal = false;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.' &&
        !(pos_ + 1 < text_.size() && is_ident_start(text_[pos_ + 1]) && text_[pos_ + 1] != 'e' &&
          text_[pos_ + 1] != 'E')) {
      decimal = true;
      ++pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && is_digit(text_[p])) {
        decimal = true;
        pos_ = p;
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      }
    }
    // Spark's type suffixes: L (bigint), S/Y (small/tiny int), D (double), BD (decimal, read as double).
    if (pos_ < text_.size()) {
      char s = static_cast<char>(std::toupper(static_cast<unsigned char>(text_[pos_])));
      bool bd = s == 'B' && pos_ + 1 < text_.size() && std::toupper(static_cast<unsigned char>(text_[pos_ + 1])) == 'D';
      if ((!decimal && (s == 'L' || s == 'S' || s == 'Y')) || s == 'D' || bd) {
        size_t after = pos_ + (bd ? 2 : 1);
        if (after >= text_.size() || !is_ident_char(text_[after])) {
          if (s == 'D' || bd) decimal = true;
          pos_ = after;
        }
      }
    }
    if (pos_ < text_.size() && is_ident_char(text_[pos_]))
      throw_expr_error(text_, start, "invalid number '" + std::string(text_.substr(start, pos_ + 1 - start)) + "'");
    return {decimal ? TokenKind::Decimal : TokenKind::Integer, std::string(text_.substr(start, pos_ - start)), start};
  }

  // Spark's unescapeSQLString: \n \t \r \b \0 \Z, \uXXXX, \% and \_ stay escaped (for LIKE),
  // any other escaped character stands for itself.
  Token string_literal() {
    size_t start = pos_;
    char quote = text_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) throw_expr_error(text_, start, "unterminated string literal");
      char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= text_.size()) throw_expr_error(text_, start, "unterminated string literal");
      char e = text_[pos_++];
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'b': value += '\b'; break;
        case '0': value += '\0'; break;
        case 'Z': value += '\x1A'; break;
        case '%': value += "\\%"; break;
        case '_': value += "\\_"; break;
        case 'u': {
          uint32_t cp = 0;
          bool ok = pos_ + 4 <= text_.size();
          for (size_t k = 0; ok && k < 4; ++k) {
            int h = hex_value(text_[pos_ + k]);
            ok = h >= 0;
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          if (!ok) throw_expr_error(text_, pos_ - 2, "invalid \\u escape (expected 4 hex digits)");
          pos_ += 4;
          append_utf8(value, cp);
          break;
        }
        default: value += e;
      }
    }
    return {TokenKind::String, std::move(value), start};
  }

  Token quoted_identifier() {
    size_t start = pos_++;
    std::string name;
    while (true) {
      if (pos_ >= text_.size()) throw_expr_error(text_, start, "unterminated `quoted identifier`");
      char c = text_[pos_++];
      if (c == '`') {
        if (pos_ < text_.size() && text_[pos_] == '`') {  // `` inside backticks is a literal backtick
          name += '`';
          ++pos_;
          continue;
        }
        break;
      }
      name += c;
    }
    return {TokenKind::QuotedIdentifier, std::move(name), start};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool Token::is_keyword(std::string_view word) const {
  if (kind != TokenKind::Identifier || text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  return true;
}

std::vector<Token> tokenize(std::string_view text) { return Lexer(text).run(); }

void throw_expr_error(std::string_view text, size_t offset, const std::string& problem) {
  throw ExprError(problem + " at column " + std::to_string(offset + 1) + " of '" + std::string(text) + "'", offset);
}

}  // namespace runnel::expr
