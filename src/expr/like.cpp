// LIKE and RLIKE.
//
// LIKE: `%` any sequence, `_` any one character (a UTF-8 code point), `\`
// escapes `%`, `_` or `\`. A literal pattern is compiled once; the common
// shapes 'abc', 'abc%', '%abc', '%abc%' run as memcmp/memmem, anything
// else becomes an anchored RE2 regex.
//
// RLIKE / REGEXP: Spark's semantics are Java's Matcher.find() — the pattern
// may match anywhere — so this is RE2::PartialMatch. RE2 runs in linear time
// and rejects what Java's engine would backtrack on; the differences users may
// meet (document in the man page): no backreferences (\1), no lookaround
// ((?=..), (?<=..)), no possessive quantifiers (a*+), no \Q..\E (fine: RE2 has
// it), and \p{...} classes follow Unicode names rather than Java's (\p{javaLowerCase}).
#include <re2/re2.h>

#include <cstring>
#include <optional>

#include "expr/lexer.hpp"
#include "expr/nodes.hpp"
#include "expr/vector.hpp"

namespace runnel::expr {

namespace {

// A compiled LIKE pattern.
class LikeMatcher {
 public:
  // nullopt + `error` set when the pattern has an invalid escape.
  static std::optional<LikeMatcher> compile(std::string_view pattern, std::string& error) {
    LikeMatcher m;
    std::string regex = "(?s)";        // the whole pattern as an RE2 regex, `.` matching newlines
    std::vector<size_t> percents;      // offsets in literal_ at which a `%` stands
    bool has_underscore = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '%') {
        percents.push_back(m.literal_.size());
        regex += ".*";
      } else if (c == '_') {
        has_underscore = true;
        regex += ".";
      } else {
        if (c == '\\') {
          if (i + 1 == pattern.size()) {
            error = "the escape character is not allowed to end the LIKE pattern";
            return std::nullopt;
          }
          c = pattern[++i];
          if (c != '%' && c != '_' && c != '\\') {
            error = std::string("the escape character is not allowed to precede '") + c + "' in the LIKE pattern";
            return std::nullopt;
          }
        }
        m.literal_ += c;
        regex += RE2::QuoteMeta(std::string(1, c));
      }
    }
    bool starts = false, ends = false, inner = has_underscore;
    for (size_t pos : percents) {
      starts |= pos == 0;
      ends |= pos == m.literal_.size();
      inner |= pos != 0 && pos != m.literal_.size();
    }
    if (inner) {
      RE2::Options options;
      options.set_log_errors(false);
      m.regex_ = std::make_shared<RE2>(regex, options);
      m.shape_ = Shape::Regex;
    } else if (percents.empty()) {
      m.shape_ = Shape::Exact;
    } else if (m.literal_.empty()) {
      m.shape_ = Shape::Any;
    } else {
      m.shape_ = starts && ends ? Shape::Contains : starts ? Shape::Suffix : Shape::Prefix;
    }
    return m;
  }

  bool matches(std::string_view s) const {
    const std::string& p = literal_;
    switch (shape_) {
      case Shape::Any: return true;
      case Shape::Exact: return s == p;
      case Shape::Prefix: return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
      case Shape::Suffix:
        return s.size() >= p.size() && std::memcmp(s.data() + s.size() - p.size(), p.data(), p.size()) == 0;
      // (an empty value may have a null data pointer, which memmem must not see)
      case Shape::Contains: return s.size() >= p.size() && memmem(s.data(), s.size(), p.data(), p.size()) != nullptr;
      case Shape::Regex: return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *regex_);
    }
    return false;
  }

 private:
  enum class Shape { Any, Exact, Prefix, Suffix, Contains, Regex };
  Shape shape_ = Shape::Exact;
  std::string literal_;  // the pattern's text without `%`, escapes resolved
  std::shared_ptr<RE2> regex_;
};

// A compiled RLIKE pattern.
class RegexMatcher {
 public:
  static std::optional<RegexMatcher> compile(std::string_view pattern, std::string& error) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!re->ok()) {
      error = "invalid regular expression '" + std::string(pattern) + "': " + re->error();
      return std::nullopt;
    }
    return RegexMatcher{std::move(re)};
  }
  bool matches(std::string_view s) const { return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re_); }

  std::shared_ptr<RE2> re_;
};

template <class Matcher>
class LikeExpr final : public Node {
 public:
  LikeExpr(ExprPtr value, ExprPtr pattern, std::optional<Matcher> compiled)
      : Node(DataType::of(TypeId::Boolean)), value_(std::move(value)), pattern_(std::move(pattern)), compiled_(std::move(compiled)) {
    add_inputs(*value_);
    add_inputs(*pattern_);
  }

  ColumnRef evaluate(const Batch& batch, const EvalContext& ctx) const override {
    size_t n = batch.num_rows;
    ColumnRef in = value_->evaluate(batch, ctx);
    auto out = new_column(type_, n);
    const std::string_view* s = in->template data<std::string_view>();
    uint8_t* dst = out->template data<uint8_t>();
    copy_validity(*out, *in);
    if (compiled_) {
      for (size_t i = 0; i < n; ++i) dst[i] = compiled_->matches(s[i]);
      return out;
    }
    // A pattern computed per row: compile when it changes; a bad pattern gives NULL.
    ColumnRef patterns = pattern_->evaluate(batch, ctx);
    and_validity(*out, *patterns);
    const std::string_view* p = patterns->data<std::string_view>();
    std::optional<Matcher> current;
    std::string current_text, error;
    for (size_t i = 0; i < n; ++i) {
      if (out->is_null(i)) continue;
      if (!current || p[i] != current_text) {
        current_text = p[i];
        current = Matcher::compile(p[i], error);
      }
      if (current) dst[i] = current->matches(s[i]);
      else out->set_null(i);
    }
    return out;
  }

 private:
  ExprPtr value_;
  ExprPtr pattern_;
  std::optional<Matcher> compiled_;
};

template <class Matcher>
ExprPtr make(const Ast& ast, ExprPtr value, ExprPtr pattern) {
  std::optional<Matcher> compiled;
  if (const fn::Literal* lit = literal_of(*pattern)) {
    if (lit->is_null) {
      fn::Literal null_boolean;
      null_boolean.type = DataType::of(TypeId::Boolean);
      null_boolean.is_null = true;
      return make_literal(null_boolean);
    }
    std::string error;
    compiled = Matcher::compile(lit->s, error);
    if (!compiled) throw_expr_error(*ast.source, ast.children[1]->offset, error);
  }
  return std::make_unique<LikeExpr<Matcher>>(std::move(value), std::move(pattern), std::move(compiled));
}

}  // namespace

ExprPtr make_like(const Ast& ast, ExprPtr value, ExprPtr pattern) {
  if (ast.op == AstOp::Like) return make<LikeMatcher>(ast, std::move(value), std::move(pattern));
  return make<RegexMatcher>(ast, std::move(value), std::move(pattern));
}

}  // namespace runnel::expr
