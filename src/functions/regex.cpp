// Regular-expression functions: split, regexp_extract, regexp_replace, rlike.
// Spark uses java.util.regex; runnel uses RE2, which accepts the common
// syntax but not backreferences or lookaround (such a pattern is a bind
// error). Matching walks the text as Java's Matcher.find does: after an
// empty match the next search starts one character later.
#include <re2/re2.h>

#include <memory>

#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

std::shared_ptr<const RE2> compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  return std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

// The pattern of one kernel call: compiled at bind time when it is a
// literal, else compiled per distinct row value (usually one per batch).
class PatternCache {
 public:
  explicit PatternCache(std::shared_ptr<const RE2> fixed)
      : current_(std::move(fixed)), fixed_(current_ != nullptr) {}
  // nullptr when the pattern does not compile.
  const RE2* get(std::string_view pattern) {
    if (!fixed_ && (!current_ || pattern != text_)) {
      text_ = std::string(pattern);
      current_ = compile(pattern);
    }
    return current_->ok() ? current_.get() : nullptr;
  }

 private:
  std::shared_ptr<const RE2> current_;
  bool fixed_;
  std::string text_;
};

// The pattern compiled at bind time, or nullptr when it is not a literal.
// A literal that does not compile is a bind error.
std::shared_ptr<const RE2> literal_pattern(std::string_view name, const Arg& arg) {
  const std::string* text = literal_string(arg);
  if (!text) return nullptr;
  auto re = compile(*text);
  if (!re->ok())
    throw BindError(std::string(name) + ": invalid regular expression '" + *text + "': " + re->error());
  return re;
}

// RE2 reports positions as pointers; an empty view may have none.
std::string_view addressable(std::string_view s) { return s.data() ? s : std::string_view("", 0); }

size_t char_length_at(std::string_view s, size_t i) { return i < s.size() ? utf8_offset(s.substr(i), 1) : 1; }

// Finds the next match at or after `from`, as Matcher.find. `groups` has
// room for `n` submatches (n >= 1).
bool find(const RE2& re, std::string_view s, size_t from, re2::StringPiece* groups, int n) {
  if (from > s.size()) return false;
  return re.Match(re2::StringPiece(s.data(), s.size()), from, s.size(), RE2::UNANCHORED, groups, n);
}

size_t offset_in(std::string_view s, const re2::StringPiece& piece) { return piece.data() - s.data(); }

// java.lang.String.split(regex, limit) with limit 0 treated as -1 (Spark keeps trailing empties).
void java_split(const RE2& re, std::string_view s, int32_t limit, std::vector<std::string_view>& parts) {
  parts.clear();
  const bool limited = limit > 0;
  size_t index = 0;
  re2::StringPiece m;
  for (size_t from = 0; find(re, s, from, &m, 1);) {
    size_t start = offset_in(s, m), end = start + m.size();
    from = start == end ? end + char_length_at(s, end) : end;
    if (limited && parts.size() + 1 >= static_cast<size_t>(limit)) break;
    if (start == 0 && end == 0) continue;  // no leading empty piece for an empty match at 0
    parts.push_back(s.substr(index, start - index));
    index = end;
  }
  if (index == 0 && parts.empty()) {
    parts.push_back(s);
    return;
  }
  parts.push_back(s.substr(index));
}

// Spark splits on an empty pattern into characters (limit caps the count, the last takes the rest).
void split_characters(std::string_view s, int32_t limit, std::vector<std::string_view>& parts) {
  parts.clear();
  size_t chars = utf8_length(s);
  size_t count = (limit <= 0 || static_cast<size_t>(limit) > chars) ? chars : limit;
  size_t at = 0;
  for (size_t k = 0; k + 1 < count; ++k) {
    size_t len = char_length_at(s, at);
    parts.push_back(s.substr(at, len));
    at += len;
  }
  parts.push_back(s.substr(at));
}

// A Java replacement string ("$1", "${name}", "\$") parsed once.
struct Replacement {
  struct Piece {
    std::string text;
    int group = -1;  // >= 0: a group reference
  };
  std::vector<Piece> pieces;
  int max_group = 0;
};

// Parses as Matcher.appendReplacement does; nullopt for an illegal reference.
std::optional<Replacement> parse_replacement(std::string_view rep, const RE2& re) {
  Replacement r;
  auto literal = [&](char c) {
    if (r.pieces.empty() || r.pieces.back().group >= 0) r.pieces.push_back({});
    r.pieces.back().text += c;
  };
  const int groups = re.NumberOfCapturingGroups();
  for (size_t i = 0; i < rep.size(); ++i) {
    char c = rep[i];
    if (c == '\\') {
      if (++i == rep.size()) return std::nullopt;
      literal(rep[i]);
    } else if (c != '$') {
      literal(c);
    } else if (i + 1 < rep.size() && rep[i + 1] == '{') {
      size_t close = rep.find('}', i + 2);
      if (close == std::string_view::npos) return std::nullopt;
      auto named = re.NamedCapturingGroups().find(std::string(rep.substr(i + 2, close - i - 2)));
      if (named == re.NamedCapturingGroups().end()) return std::nullopt;
      r.pieces.push_back({"", named->second});
      i = close;
    } else {
      if (i + 1 == rep.size() || rep[i + 1] < '0' || rep[i + 1] > '9') return std::nullopt;
      int group = rep[++i] - '0';
      // Java takes further digits while the number stays a valid group.
      while (i + 1 < rep.size() && rep[i + 1] >= '0' && rep[i + 1] <= '9' &&
             group * 10 + (rep[i + 1] - '0') <= groups)
        group = group * 10 + (rep[++i] - '0');
      if (group > groups) return std::nullopt;
      r.pieces.push_back({"", group});
    }
    if (!r.pieces.empty() && r.pieces.back().group > r.max_group) r.max_group = r.pieces.back().group;
  }
  return r;
}

void replace_all(const RE2& re, const Replacement& rep, std::string_view s, std::string& out) {
  std::vector<re2::StringPiece> groups(rep.max_group + 1);
  const int n = static_cast<int>(groups.size());
  size_t copied = 0;
  for (size_t from = 0; find(re, s, from, groups.data(), n);) {
    size_t start = offset_in(s, groups[0]), end = start + groups[0].size();
    out.append(s.substr(copied, start - copied));
    for (const auto& piece : rep.pieces) {
      if (piece.group < 0) {
        out += piece.text;
      } else if (groups[piece.group].data()) {
        out.append(groups[piece.group].data(), groups[piece.group].size());
      }
    }
    copied = end;
    from = start == end ? end + char_length_at(s, end) : end;
  }
  out.append(s.substr(copied));
}

}  // namespace

// split(str, regex[, limit]) -> array<string>; the pieces are views of str.
Signature bind_split(const std::vector<Arg>& args) {
  expect_arg_count("split", args, 2, 3);
  auto fixed = literal_pattern("split", args[1]);
  DataType string = DataType::of(TypeId::String);
  DataType result = DataType::array_of(string);
  std::vector<DataType> wanted{string, string};
  if (args.size() == 3) wanted.push_back(DataType::of(TypeId::Int));
  Kernel kernel = [fixed, result](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = Column::make(result, rows);
    Column& pieces = *out->children()[0];
    pieces.share_arena(*cols[0]);
    PatternCache cache(fixed);
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < rows; ++i) {
      bool limit_null = cols.size() == 3 && cols[2]->is_null(i);
      const RE2* re = cols[1]->is_valid(i) ? cache.get(cols[1]->data<std::string_view>()[i]) : nullptr;
      if (cols[0]->is_null(i) || !re || limit_null) {
        out->append_null();
        continue;
      }
      std::string_view s = addressable(cols[0]->data<std::string_view>()[i]);
      int32_t limit = cols.size() == 3 ? cols[2]->data<int32_t>()[i] : -1;
      if (re->pattern().empty() && !s.empty()) {
        split_characters(s, limit, parts);
      } else {
        java_split(*re, s, limit, parts);
      }
      for (std::string_view p : parts) pieces.append(p);
      out->end_array();
    }
    return out;
  };
  return Signature{std::move(wanted), result, std::move(kernel)};
}

// regexp_extract(str, regex[, idx]): group idx (default 1) of the first
// match; '' when nothing matches or the group did not take part.
Signature bind_regexp_extract(const std::vector<Arg>& args) {
  expect_arg_count("regexp_extract", args, 2, 3);
  auto fixed = literal_pattern("regexp_extract", args[1]);
  std::optional<int64_t> literal_index =
      args.size() == 3 ? literal_integer(args[2]) : std::optional<int64_t>(1);
  if (fixed && literal_index && (*literal_index < 0 || *literal_index > fixed->NumberOfCapturingGroups()))
    throw BindError("regexp_extract: regex group count is " +
                    std::to_string(fixed->NumberOfCapturingGroups()) + ", but the specified group index is " +
                    std::to_string(*literal_index));
  auto extract = [](PatternCache& cache, StringOut& out, std::string_view s, std::string_view pattern,
                    int32_t idx) {
    const RE2* re = cache.get(pattern);
    if (!re || idx < 0 || idx > re->NumberOfCapturingGroups()) return false;
    std::vector<re2::StringPiece> groups(idx + 1);
    s = addressable(s);
    if (find(*re, s, 0, groups.data(), idx + 1) && groups[idx].data()) {
      out.view(std::string_view(groups[idx].data(), groups[idx].size()));
    } else {
      out.view({});
    }
    return true;
  };
  DataType string = DataType::of(TypeId::String);
  std::vector<DataType> wanted{string, string, DataType::of(TypeId::Int)};
  const bool has_index = args.size() == 3;
  Kernel kernel = [fixed, extract, has_index](const std::vector<ColumnRef>& cols, size_t rows,
                                              const expr::EvalContext&) {
    PatternCache cache(fixed);
    if (has_index) {
      auto op = [&](StringOut& out, std::string_view s, std::string_view p, int32_t idx) {
        return extract(cache, out, s, p, idx);
      };
      return map_rows<StringT, StringT, StringT, IntT>(DataType::of(TypeId::String), cols, rows, op);
    }
    auto op = [&](StringOut& out, std::string_view s, std::string_view p) {
      return extract(cache, out, s, p, 1);
    };
    return map_rows<StringT, StringT, StringT>(DataType::of(TypeId::String), cols, rows, op);
  };
  wanted.resize(args.size());
  return Signature{std::move(wanted), string, std::move(kernel)};
}

// regexp_replace(str, regex, rep[, pos]): replaces every match at or after
// character pos (1-based); rep is a Java replacement string ($1, ${name}, \$).
Signature bind_regexp_replace(const std::vector<Arg>& args) {
  expect_arg_count("regexp_replace", args, 3, 4);
  auto fixed = literal_pattern("regexp_replace", args[1]);
  if (fixed && literal_string(args[2]) && !parse_replacement(*literal_string(args[2]), *fixed))
    throw BindError("regexp_replace: illegal group reference in replacement '" + *literal_string(args[2]) +
                    "'");
  DataType string = DataType::of(TypeId::String);
  std::vector<DataType> wanted{string, string, string, DataType::of(TypeId::Int)};
  wanted.resize(args.size());
  const bool has_position = args.size() == 4;
  Kernel kernel = [fixed, has_position](const std::vector<ColumnRef>& cols, size_t rows,
                                        const expr::EvalContext&) {
    PatternCache cache(fixed);
    std::string parsed_for;
    std::optional<Replacement> rep;
    const RE2* rep_re = nullptr;
    std::string buffer;
    auto op = [&](StringOut& out, std::string_view s, std::string_view pattern, std::string_view rep_text,
                  int32_t pos) {
      const RE2* re = cache.get(pattern);
      if (!re || pos < 1) return false;
      if (re != rep_re || rep_text != parsed_for) {
        rep = parse_replacement(rep_text, *re);
        rep_re = re;
        parsed_for = std::string(rep_text);
      }
      if (!rep) return false;
      size_t skip = utf8_offset(s, pos - 1);
      if (pos > 1 && skip >= s.size()) {
        out.view(s);
        return true;
      }
      buffer.assign(s.substr(0, skip));
      replace_all(*re, *rep, addressable(s.substr(skip)), buffer);
      out.copy(buffer);
      return true;
    };
    if (has_position)
      return map_rows<StringT, StringT, StringT, StringT, IntT>(DataType::of(TypeId::String), cols, rows, op);
    auto from_start = [&](StringOut& out, std::string_view s, std::string_view p, std::string_view r) {
      return op(out, s, p, r, 1);
    };
    return map_rows<StringT, StringT, StringT, StringT>(DataType::of(TypeId::String), cols, rows, from_start);
  };
  return Signature{std::move(wanted), string, std::move(kernel)};
}

// rlike(str, regex): true when the regex matches anywhere in str.
Signature bind_rlike(const std::vector<Arg>& args) {
  expect_arg_count("rlike", args, 2, 2);
  auto fixed = literal_pattern("rlike", args[1]);
  DataType string = DataType::of(TypeId::String);
  Kernel kernel = [fixed](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    PatternCache cache(fixed);
    auto op = [&](bool& out, std::string_view s, std::string_view pattern) {
      const RE2* re = cache.get(pattern);
      if (!re) return false;
      out = find(*re, addressable(s), 0, nullptr, 0);
      return true;
    };
    return map_rows<BoolT, StringT, StringT>(DataType::of(TypeId::Boolean), cols, rows, op);
  };
  return Signature{{string, string}, DataType::of(TypeId::Boolean), std::move(kernel)};
}

}  // namespace runnel::fn
