// Recursive-descent parser for Spark SQL expressions. Precedence, loosest first
// (Spark's SqlBaseParser): OR < AND < NOT < comparison and predicates
// (= == <> != < <= > >= <=> IS IN BETWEEN LIKE RLIKE) < | < ^ < & < + - || <
// * / % DIV < unary (- + ~ NOT !) < postfix (.field, [index]) < primary.
#include <charconv>
#include <cmath>

#include "expr/ast.hpp"
#include "expr/lexer.hpp"

namespace runnel::expr {

namespace {

// Words that end an expression or belong to the surrounding syntax; never a bare alias.
constexpr std::string_view kReserved[] = {"AND", "OR",   "NOT",  "IS",   "IN",       "BETWEEN", "LIKE", "RLIKE",
                                          "REGEXP", "CASE", "WHEN", "THEN", "ELSE", "END", "AS", "DIV",
                                          "NULL", "TRUE", "FALSE", "CAST", "INTERVAL", "DISTINCT", "FROM"};

bool is_reserved(const Token& t) {
  for (auto w : kReserved)
    if (t.is_keyword(w)) return true;
  return false;
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::End: return "end of input";
    case TokenKind::String: return "string '" + t.text + "'";
    case TokenKind::QuotedIdentifier: return "`" + t.text + "`";
    default: return "'" + t.text + "'";
  }
}

struct IntervalUnit {
  std::string_view name;  // singular, upper case
  int64_t micros;
};
constexpr IntervalUnit kUnits[] = {{"WEEK", 7 * 86400000000LL}, {"DAY", 86400000000LL},   {"HOUR", 3600000000LL},
                                   {"MINUTE", 60000000LL},      {"SECOND", 1000000LL},       {"MILLISECOND", 1000LL},
                                   {"MICROSECOND", 1LL}};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "minutes", "MINUTE", "min"... -> the unit; nullptr if unknown.
const IntervalUnit* find_unit(std::string_view word) {
  std::string w = upper(word);
  if (w.size() > 1 && w.back() == 'S' && w != "MS" && w != "US") w.pop_back();
  if (w == "MIN") w = "MINUTE";
  if (w == "SEC") w = "SECOND";
  if (w == "MS" || w == "MILLI") w = "MILLISECOND";
  if (w == "US" || w == "MICRO") w = "MICROSECOND";
  for (auto& u : kUnits)
    if (w == u.name) return &u;
  return nullptr;
}

constexpr size_t kMaxTokens = 4000;

class Parser {
 public:
  explicit Parser(std::string_view text)
      : source_(std::make_shared<const std::string>(text)), tokens_(tokenize(text)) {
    // Long operator chains make deep trees; bound the size so that every
    // recursive walk (binder, namer) stays far from the stack's end.
    if (tokens_.size() > kMaxTokens)
      throw_expr_error(text, tokens_[kMaxTokens].offset, "expression is too long (more than " + std::to_string(kMaxTokens) + " tokens)");
  }

  AstPtr parse_root() {
    auto root = parse_expression();
    std::string alias;
    if (peek().is_keyword("AS")) {
      advance();
      alias = expect_identifier("an alias after AS");
    } else if ((peek().kind == TokenKind::Identifier && !is_reserved(peek())) ||
               peek().kind == TokenKind::QuotedIdentifier) {
      alias = advance().text;
    }
    if (peek().kind != TokenKind::End) fail_at(peek(), "unexpected " + describe(peek()) + ": expected the end of the expression");
    if (!alias.empty()) {
      auto copy = std::make_shared<Ast>(*root);
      copy->alias = std::move(alias);
      root = copy;
    }
    return root;
  }

 private:
  // --- token helpers ---
  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& advance() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool accept_symbol(std::string_view s) {
    if (!peek().is_symbol(s)) return false;
    advance();
    return true;
  }
  bool accept_keyword(std::string_view w) {
    if (!peek().is_keyword(w)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail_at(const Token& t, const std::string& problem) const {
    throw_expr_error(*source_, t.offset, problem);
  }
  void expect_symbol(std::string_view s, std::string_view context) {
    if (!accept_symbol(s)) fail_at(peek(), "unexpected " + describe(peek()) + ": expected '" + std::string(s) + "' " + std::string(context));
  }
  void expect_keyword(std::string_view w, std::string_view context) {
    if (!accept_keyword(w)) fail_at(peek(), "unexpected " + describe(peek()) + ": expected " + std::string(w) + " " + std::string(context));
  }
  std::string expect_identifier(std::string_view what) {
    const Token& t = peek();
    if (t.kind == TokenKind::QuotedIdentifier || (t.kind == TokenKind::Identifier && !is_reserved(t))) return advance().text;
    fail_at(t, "unexpected " + describe(t) + ": expected " + std::string(what));
  }

  std::shared_ptr<Ast> node(AstKind kind, size_t offset) {
    auto n = std::make_shared<Ast>();
    n->kind = kind;
    n->offset = offset;
    n->source = source_;
    return n;
  }
  AstPtr binary(AstOp op, AstPtr l, AstPtr r) {
    auto n = node(AstKind::Binary, l->offset);
    n->op = op;
    n->children = {std::move(l), std::move(r)};
    return n;
  }

  // Deeply nested input ("((((...") must not overflow the stack.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > 200) p.fail_at(p.peek(), "expression is nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // --- grammar ---
  AstPtr parse_expression() {
    DepthGuard guard(*this);
    return parse_or();
  }

  AstPtr parse_or() {
    auto left = parse_and();
    while (accept_keyword("OR")) left = binary(AstOp::Or, left, parse_and());
    return left;
  }

  AstPtr parse_and() {
    auto left = parse_not();
    while (accept_keyword("AND")) left = binary(AstOp::And, left, parse_not());
    return left;
  }

  AstPtr parse_not() {
    if (peek().is_keyword("NOT") || peek().is_symbol("!")) {
      DepthGuard guard(*this);
      size_t offset = advance().offset;
      auto n = node(AstKind::Unary, offset);
      n->op = AstOp::Not;
      n->children = {parse_not()};
      return n;
    }
    return parse_comparison();
  }

  std::optional<AstOp> comparison_op() const {
    static const std::pair<std::string_view, AstOp> kOps[] = {
        {"=", AstOp::Eq}, {"==", AstOp::Eq}, {"<=>", AstOp::NullSafeEq}, {"<>", AstOp::Ne}, {"!=", AstOp::Ne},
        {"<", AstOp::Lt}, {"<=", AstOp::Le}, {">", AstOp::Gt},           {">=", AstOp::Ge}};
    for (auto& [s, op] : kOps)
      if (peek().is_symbol(s)) return op;
    return std::nullopt;
  }

  AstPtr parse_comparison() {
    auto left = parse_bit_or();
    while (true) {
      if (auto op = comparison_op()) {
        advance();
        left = binary(*op, left, parse_bit_or());
        continue;
      }
      auto predicate = parse_predicate(left);
      if (!predicate) return left;
      left = predicate;
    }
  }

  // IS [NOT] NULL, [NOT] IN (...), [NOT] BETWEEN, [NOT] LIKE / RLIKE / REGEXP after `left`.
  AstPtr parse_predicate(const AstPtr& left) {
    if (accept_keyword("IS")) {
      bool negated = accept_keyword("NOT");
      expect_keyword("NULL", "after IS [NOT]");
      auto n = node(AstKind::IsNull, left->offset);
      n->negated = negated;
      n->children = {left};
      return n;
    }
    bool negated = false;
    if (peek().is_keyword("NOT") &&
        (peek(1).is_keyword("IN") || peek(1).is_keyword("BETWEEN") || peek(1).is_keyword("LIKE") ||
         peek(1).is_keyword("RLIKE") || peek(1).is_keyword("REGEXP"))) {
      advance();
      negated = true;
    }
    std::shared_ptr<Ast> n;
    if (accept_keyword("IN")) {
      n = node(AstKind::In, left->offset);
      n->children.push_back(left);
      expect_symbol("(", "after IN");
      do n->children.push_back(parse_expression());
      while (accept_symbol(","));
      expect_symbol(")", "to close the IN list");
    } else if (accept_keyword("BETWEEN")) {
      n = node(AstKind::Between, left->offset);
      auto low = parse_bit_or();
      expect_keyword("AND", "in BETWEEN ... AND ...");
      n->children = {left, low, parse_bit_or()};
    } else if (peek().is_keyword("LIKE") || peek().is_keyword("RLIKE") || peek().is_keyword("REGEXP")) {
      n = node(AstKind::Like, left->offset);
      n->op = advance().is_keyword("LIKE") ? AstOp::Like : AstOp::RLike;
      n->children = {left, parse_bit_or()};
    } else {
      return nullptr;
    }
    n->negated = negated;
    return n;
  }

  AstPtr parse_bit_or() {
    auto left = parse_bit_xor();
    while (accept_symbol("|")) left = binary(AstOp::BitOr, left, parse_bit_xor());
    return left;
  }
  AstPtr parse_bit_xor() {
    auto left = parse_bit_and();
    while (accept_symbol("^")) left = binary(AstOp::BitXor, left, parse_bit_and());
    return left;
  }
  AstPtr parse_bit_and() {
    auto left = parse_additive();
    while (accept_symbol("&")) left = binary(AstOp::BitAnd, left, parse_additive());
    return left;
  }

  AstPtr parse_additive() {
    auto left = parse_multiplicative();
    while (true) {
      AstOp op;
      if (accept_symbol("+")) op = AstOp::Add;
      else if (accept_symbol("-")) op = AstOp::Sub;
      else if (accept_symbol("||")) op = AstOp::Concat;
      else return left;
      left = binary(op, left, parse_multiplicative());
    }
  }

  AstPtr parse_multiplicative() {
    auto left = parse_unary();
    while (true) {
      AstOp op;
      if (accept_symbol("*")) op = AstOp::Mul;
      else if (accept_symbol("/")) op = AstOp::Div;
      else if (accept_symbol("%")) op = AstOp::Mod;
      else if (accept_keyword("DIV")) op = AstOp::IntDiv;
      else return left;
      left = binary(op, left, parse_unary());
    }
  }

  AstPtr parse_unary() {
    DepthGuard guard(*this);
    const Token& t = peek();
    // Spark reads "-1" as one (negative) literal, so its name is "-1" and -2147483648 is an int.
    if (t.is_symbol("-") && (peek(1).kind == TokenKind::Integer || peek(1).kind == TokenKind::Decimal)) {
      size_t offset = advance().offset;
      return parse_postfix(number_literal(advance(), true, offset));
    }
    AstOp op = AstOp::None;
    if (t.is_symbol("-")) op = AstOp::Neg;
    else if (t.is_symbol("+")) op = AstOp::Plus;
    else if (t.is_symbol("~")) op = AstOp::BitNot;
    else if (t.is_keyword("NOT") || t.is_symbol("!")) op = AstOp::Not;
    if (op == AstOp::None) return parse_postfix(parse_primary());
    size_t offset = advance().offset;
    auto n = node(AstKind::Unary, offset);
    n->op = op;
    n->children = {parse_unary()};
    return n;
  }

  AstPtr parse_postfix(AstPtr base) {
    while (true) {
      if (accept_symbol(".")) {
        // Any word may name a field: window.start, window.end.
        if (peek().kind != TokenKind::Identifier && peek().kind != TokenKind::QuotedIdentifier)
          fail_at(peek(), "unexpected " + describe(peek()) + ": expected a field name after '.'");
        std::string field = advance().text;
        if (base->kind == AstKind::Column) {
          auto n = std::make_shared<Ast>(*base);
          n->parts.push_back(std::move(field));
          base = n;
        } else {
          auto n = node(AstKind::Field, base->offset);
          n->name = std::move(field);
          n->children = {base};
          base = n;
        }
      } else if (peek().is_symbol("[")) {
        advance();
        auto n = node(AstKind::Subscript, base->offset);
        n->children = {base, parse_expression()};
        expect_symbol("]", "to close the subscript");
        base = n;
      } else {
        return base;
      }
    }
  }

  AstPtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::Integer:
      case TokenKind::Decimal: return number_literal(advance(), false, t.offset);
      case TokenKind::String: return string_literal(advance().text, t.offset);
      case TokenKind::QuotedIdentifier: return column(advance());
      case TokenKind::Symbol:
        if (t.is_symbol("(")) {
          advance();
          auto inner = parse_expression();
          expect_symbol(")", "to close '('");
          return inner;
        }
        break;
      case TokenKind::Identifier: return identifier_primary();
      case TokenKind::End: break;
    }
    fail_at(t, "unexpected " + describe(t) + ": expected an expression");
  }

  AstPtr identifier_primary() {
    const Token& t = peek();
    if (t.is_keyword("NULL")) {
      advance();
      auto n = node(AstKind::Literal, t.offset);
      n->literal.is_null = true;
      return n;
    }
    if (t.is_keyword("TRUE") || t.is_keyword("FALSE")) {
      advance();
      auto n = node(AstKind::Literal, t.offset);
      n->literal.type = DataType::of(TypeId::Boolean);
      n->literal.b = t.is_keyword("TRUE");
      return n;
    }
    if (t.is_keyword("CASE")) return case_expression();
    if (t.is_keyword("CAST") && peek(1).is_symbol("(")) return cast_expression();
    if (t.is_keyword("INTERVAL")) return interval_literal();
    if ((t.is_keyword("TIMESTAMP") || t.is_keyword("DATE")) && peek(1).kind == TokenKind::String) {
      advance();
      auto n = node(AstKind::Cast, t.offset);
      n->cast_type = DataType::of(t.is_keyword("DATE") ? TypeId::Date : TypeId::Timestamp);
      n->typed_literal = true;
      n->children = {string_literal(peek().text, peek().offset)};
      advance();
      return n;
    }
    if (peek(1).is_symbol("(")) return call();
    // CURRENT_TIMESTAMP / CURRENT_DATE may be written without parentheses.
    if (t.is_keyword("CURRENT_TIMESTAMP") || t.is_keyword("CURRENT_DATE")) {
      advance();
      auto n = node(AstKind::Call, t.offset);
      n->name = t.text;
      return n;
    }
    if (is_reserved(t)) fail_at(t, "unexpected " + describe(t) + ": expected an expression");
    return column(advance());
  }

  AstPtr column(const Token& t) {
    auto n = node(AstKind::Column, t.offset);
    n->parts = {t.text};
    return n;
  }

  AstPtr string_literal(const std::string& value, size_t offset) {
    auto n = node(AstKind::Literal, offset);
    n->literal.type = DataType::of(TypeId::String);
    n->literal.s = value;
    return n;
  }

  AstPtr number_literal(const Token& t, bool negative, size_t offset) {
    auto n = node(AstKind::Literal, offset);
    std::string text = t.text;
    char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
    bool long_suffix = t.kind == TokenKind::Integer && suffix == 'L';
    if (std::isalpha(static_cast<unsigned char>(suffix))) text.pop_back();
    if (!text.empty() && (text.back() == 'b' || text.back() == 'B')) text.pop_back();  // BD
    if (negative) text.insert(text.begin(), '-');
    if (t.kind == TokenKind::Integer) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) {
        bool fits_int = v >= INT32_MIN && v <= INT32_MAX && !long_suffix;
        n->literal.type = DataType::of(fits_int ? TypeId::Int : TypeId::Long);
        n->literal.i = v;
        return n;
      }
      if (long_suffix) fail_at(t, "number " + text + " is out of range for bigint");
      // Larger integers are decimals in Spark; runnel reads them as double.
    }
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d))
      fail_at(t, "invalid number '" + t.text + "'");
    n->literal.type = DataType::of(TypeId::Double);
    n->literal.d = d;
    return n;
  }

  // INTERVAL 10 MINUTES [30 SECONDS ...] | INTERVAL '10' MINUTE | INTERVAL '10 minutes 5 seconds'
  AstPtr interval_literal() {
    size_t offset = advance().offset;
    auto n = node(AstKind::Interval, offset);
    int units = 0;
    std::string last_value, last_unit;
    auto add = [&](const std::string& value, const std::string& unit_word, const Token& at, const Token& unit_at) {
      const IntervalUnit* unit = find_unit(unit_word);
      if (!unit) {
        std::string u = upper(unit_word);
        if (u == "MONTH" || u == "MONTHS" || u == "YEAR" || u == "YEARS")
          fail_at(unit_at, "year/month intervals are not supported: months have no fixed length; use days");
        fail_at(unit_at, "unknown interval unit '" + unit_word + "' (expected WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND or MICROSECOND)");
      }
      double v = 0;
      std::string_view vt = value;
      if (!vt.empty() && vt[0] == '+') vt.remove_prefix(1);
      auto [end, ec] = std::from_chars(vt.data(), vt.data() + vt.size(), v);
      if (ec != std::errc() || end != vt.data() + vt.size() || std::fabs(v * static_cast<double>(unit->micros)) > 9.2e18)
        fail_at(at, "invalid interval value '" + value + "'");
      n->interval_us += static_cast<int64_t>(std::llround(v * static_cast<double>(unit->micros)));
      ++units;
      last_value = vt;
      last_unit = unit->name;
    };
    if (peek().kind == TokenKind::String && !is_unit_word(peek(1))) {
      // The whole interval in one string: '10 minutes', '1 hour 30 minutes'.
      const Token& s = advance();
      std::vector<std::string> words;
      size_t i = 0;
      const std::string& text = s.text;
      while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
      }
      if (words.empty() || words.size() % 2) fail_at(s, "invalid interval '" + text + "': expected '<number> <unit> ...'");
      for (size_t k = 0; k < words.size(); k += 2) add(words[k], words[k + 1], s, s);
    } else {
      while (peek().kind == TokenKind::Integer || peek().kind == TokenKind::Decimal || peek().kind == TokenKind::String ||
             (peek().is_symbol("-") && (peek(1).kind == TokenKind::Integer || peek(1).kind == TokenKind::Decimal ||
                                          peek(1).kind == TokenKind::String))) {
        const Token& at = peek();
        std::string value;
        if (accept_symbol("-")) value = "-";
        value += advance().text;
        if (peek().kind != TokenKind::Identifier) fail_at(peek(), "unexpected " + describe(peek()) + ": expected an interval unit such as MINUTES");
        const Token& unit = advance();
        add(value, unit.text, at, unit);
      }
      if (units == 0) fail_at(peek(), "unexpected " + describe(peek()) + ": expected an interval such as INTERVAL 10 MINUTES");
    }
    n->interval_text = units == 1 ? "INTERVAL '" + last_value + "' " + last_unit
                                  : "INTERVAL " + std::to_string(n->interval_us) + " MICROSECOND";
    return n;
  }

  static bool is_unit_word(const Token& t) { return t.kind == TokenKind::Identifier && find_unit(t.text); }

  AstPtr case_expression() {
    auto n = node(AstKind::Case, advance().offset);
    if (!peek().is_keyword("WHEN")) {
      n->has_operand = true;
      n->children.push_back(parse_expression());
    }
    if (!peek().is_keyword("WHEN")) fail_at(peek(), "unexpected " + describe(peek()) + ": expected WHEN in CASE");
    while (accept_keyword("WHEN")) {
      n->children.push_back(parse_expression());
      expect_keyword("THEN", "after CASE ... WHEN condition");
      n->children.push_back(parse_expression());
    }
    if (accept_keyword("ELSE")) {
      n->has_else = true;
      n->children.push_back(parse_expression());
    }
    expect_keyword("END", "to close CASE");
    return n;
  }

  // CAST(expr AS type): the type's text runs to the ')' that closes the CAST.
  AstPtr cast_expression() {
    auto n = node(AstKind::Cast, advance().offset);
    advance();  // (
    n->children = {parse_expression()};
    expect_keyword("AS", "in CAST(... AS type)");
    const Token& first = peek();
    int depth = 0;
    while (peek().kind != TokenKind::End && !(depth == 0 && peek().is_symbol(")"))) {
      if (peek().is_symbol("(")) ++depth;
      if (peek().is_symbol(")")) --depth;
      advance();
    }
    std::string type_text = source_->substr(first.offset, peek().offset - first.offset);
    auto type = parse_type_name(type_text);
    if (!type)
      fail_at(first, "unknown type '" + type_text + "' in CAST (expected boolean, int, bigint, float, double, string, "
                                                    "timestamp, date, binary, array<T> or struct<...>)");
    n->cast_type = *type;
    expect_symbol(")", "to close CAST");
    return n;
  }

  AstPtr call() {
    const Token& name = advance();
    auto n = node(AstKind::Call, name.offset);
    n->name = name.text;
    advance();  // (
    if (accept_symbol(")")) return n;
    if (peek().is_symbol("*") && peek(1).is_symbol(")")) {
      advance();
      advance();
      n->star = true;
      return n;
    }
    n->distinct = accept_keyword("DISTINCT");
    if (!n->distinct) accept_keyword("ALL");
    do n->children.push_back(parse_expression());
    while (accept_symbol(","));
    expect_symbol(")", "to close the argument list of " + name.text + "(");
    return n;
  }

  std::shared_ptr<const std::string> source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

AstPtr parse(std::string_view text) { return Parser(text).parse_root(); }

}  // namespace runnel::expr
