// String functions, on UTF-8 characters as Spark's UTF8String does:
// positions and lengths count characters, trim removes ASCII spaces only,
// lower/upper map Unicode letters.
#include <locale.h>

#include <algorithm>
#include <cctype>
#include <clocale>
#include <cstring>
#include <cwctype>

#include "functions/kernel.hpp"

namespace runnel::fn {

namespace {

// --- UTF-8 code points, for case mapping ---

size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 0;  // not a lead byte
}

// Decodes the code point at s[i]; returns 0 bytes for invalid UTF-8.
size_t decode_utf8(std::string_view s, size_t i, char32_t& cp) {
  auto lead = static_cast<unsigned char>(s[i]);
  size_t n = utf8_sequence_length(lead);
  if (n == 0 || i + n > s.size()) return 0;
  if (n == 1) {
    cp = lead;
    return 1;
  }
  cp = lead & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if (!utf8_is_continuation(s[i + k])) return 0;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  return n;
}

size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// glibc's built-in C.UTF-8 locale gives Unicode case tables regardless of the
// process locale.
locale_t unicode_locale() {
  static locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return locale;
}

bool is_letter_at(std::string_view s, size_t i) {
  char32_t cp = 0;
  return i < s.size() && decode_utf8(s, i, cp) > 0 && iswalpha_l(cp, unicode_locale());
}

// Java's String.toUpperCase/toLowerCase (which Spark calls for non-ASCII
// text) apply a few mappings that are not one character to one character.
// Returns the replacement's length, or 0 when `cp` maps one-to-one.
size_t full_case_mapping(bool upper, char32_t cp, std::string_view s, size_t next, bool after_letter,
                         char* dst) {
  if (upper && cp == U'\u00DF') {  // ß -> SS
    dst[0] = dst[1] = 'S';
    return 2;
  }
  if (!upper && cp == U'\u0130') {  // İ -> i + combining dot above
    dst[0] = 'i';
    return 1 + encode_utf8(U'\u0307', dst + 1);
  }
  if (!upper && cp == U'\u03A3' && after_letter && !is_letter_at(s, next))  // word-final sigma
    return encode_utf8(U'\u03C2', dst);
  return 0;
}

template <bool kUpper>
char ascii_case(char c) {
  if (kUpper) return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool is_ascii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

template <bool kUpper>
void change_case(StringOut& out, std::string_view s) {
  if (is_ascii(s)) {  // the common case: a tight loop the compiler vectorizes
    char* dst = out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) dst[i] = ascii_case<kUpper>(s[i]);
    out.commit(s.size());
    return;
  }
  // A mapped character grows at most from 2 to 3 bytes (U+023F -> U+2C7E, U+0130 -> i U+0307).
  char* dst = out.reserve(s.size() + s.size() / 2 + 4);
  size_t n = 0;
  bool after_letter = false;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      dst[n++] = ascii_case<kUpper>(s[i]);
      after_letter = std::isalpha(c);
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t len = decode_utf8(s, i, cp);
    if (len == 0 || !unicode_locale()) {  // invalid bytes pass through
      dst[n++] = s[i++];
      after_letter = false;
      continue;
    }
    if (size_t written = full_case_mapping(kUpper, cp, s, i + len, after_letter, dst + n)) {
      n += written;
    } else {
      wint_t mapped = kUpper ? towupper_l(cp, unicode_locale()) : towlower_l(cp, unicode_locale());
      n += encode_utf8(static_cast<char32_t>(mapped), dst + n);
    }
    after_letter = iswalpha_l(cp, unicode_locale());
    i += len;
  }
  out.commit(n);
}

// --- trim ---

enum class TrimSide { Both, Left, Right };

bool char_in_set(std::string_view set, std::string_view ch) {
  for (size_t i = 0; i < set.size();) {
    size_t end = utf8_offset(set.substr(i), 1) + i;
    if (set.substr(i, end - i) == ch) return true;
    i = end;
  }
  return false;
}

// Trims the characters of `set` (Spark's trimStr) from the chosen side(s).
std::string_view trim_chars(std::string_view s, std::string_view set, TrimSide side) {
  if (side != TrimSide::Right) {
    while (!s.empty()) {
      size_t len = utf8_offset(s, 1);
      if (!char_in_set(set, s.substr(0, len))) break;
      s.remove_prefix(len);
    }
  }
  if (side != TrimSide::Left) {
    while (!s.empty()) {
      size_t start = s.size() - 1;
      while (start > 0 && utf8_is_continuation(s[start])) --start;
      if (!char_in_set(set, s.substr(start))) break;
      s.remove_suffix(s.size() - start);
    }
  }
  return s;
}

std::string_view trim_spaces(std::string_view s, TrimSide side) {
  if (side != TrimSide::Right)
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (side != TrimSide::Left)
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// trim(str), and Spark's two-argument call form trim(trimStr, str) (what
// TRIM(BOTH trimStr FROM str) means); btrim takes (str, trimStr).
Signature bind_trim_side(std::string_view name, const std::vector<Arg>& args, TrimSide side,
                         bool source_first) {
  expect_arg_count(name, args, 1, 2);
  if (args.size() == 1)
    return simple<StringT, StringT>(
        [side](StringOut& out, std::string_view s) { out.view(trim_spaces(s, side)); });
  if (source_first)
    return simple<StringT, StringT, StringT>(
        [side](StringOut& out, std::string_view s, std::string_view set) {
          out.view(trim_chars(s, set, side));
        });
  return simple<StringT, StringT, StringT>([side](StringOut& out, std::string_view set, std::string_view s) {
    out.view(trim_chars(s, set, side));
  });
}

// Spark's UTF8String.substringSQL: 1-based, 0 acts as 1, negative counts from the end.
std::string_view substring_sql(std::string_view s, int64_t pos, int64_t length, bool bytes) {
  int64_t total = bytes ? static_cast<int64_t>(s.size()) : static_cast<int64_t>(utf8_length(s));
  int64_t start = pos > 0 ? pos - 1 : (pos < 0 ? total + pos : 0);
  int64_t end = start + length;  // int64: no overflow for int32 inputs
  start = std::max<int64_t>(start, 0);
  end = std::min(end, total);
  if (start >= end) return {};
  if (bytes) return s.substr(start, end - start);
  size_t from = utf8_offset(s, start);
  size_t to = from + utf8_offset(s.substr(from), end - start);
  return s.substr(from, to - from);
}

// lpad/rpad: Spark pads to `len` characters, truncates longer strings, and
// with an empty pad only truncates.
void pad(StringOut& out, std::string_view s, int32_t len, std::string_view fill, bool left) {
  if (len <= 0) {
    out.view({});
    return;
  }
  size_t chars = utf8_length(s);
  if (chars >= static_cast<size_t>(len) || fill.empty()) {
    out.view(s.substr(0, utf8_offset(s, len)));
    return;
  }
  size_t missing = len - chars;
  size_t fill_chars = utf8_length(fill);
  std::string padding;
  for (size_t k = 0; k < missing / fill_chars; ++k) padding += fill;
  padding += fill.substr(0, utf8_offset(fill, missing % fill_chars));
  char* dst = out.reserve(padding.size() + s.size());
  std::string_view first = left ? std::string_view(padding) : s;
  std::string_view second = left ? s : std::string_view(padding);
  std::memcpy(dst, first.data(), first.size());
  std::memcpy(dst + first.size(), second.data(), second.size());
  out.commit(first.size() + second.size());
}

Signature bind_pad(std::string_view name, const std::vector<Arg>& args, bool left) {
  expect_arg_count(name, args, 2, 3);
  if (args.size() == 2)
    return simple<StringT, StringT, IntT>(
        [left](StringOut& out, std::string_view s, int32_t len) { pad(out, s, len, " ", left); });
  return simple<StringT, StringT, IntT, StringT>(
      [left](StringOut& out, std::string_view s, int32_t len, std::string_view fill) {
        pad(out, s, len, fill, left);
      });
}

template <class Predicate>
Signature string_predicate(std::string_view name, const std::vector<Arg>& args, Predicate p) {
  expect_arg_count(name, args, 2, 2);
  return simple<BoolT, StringT, StringT>(
      [p](bool& out, std::string_view a, std::string_view b) { out = p(a, b); });
}

// concat_ws's pieces of one row: strings, and the non-null elements of arrays.
template <class F>
void for_each_piece(const std::vector<ColumnRef>& cols, size_t i, F&& f) {
  for (size_t k = 1; k < cols.size(); ++k) {
    const Column& c = *cols[k];
    if (c.is_null(i)) continue;
    if (c.id() != TypeId::Array) {
      f(c.data<std::string_view>()[i]);
      continue;
    }
    const Column& elements = *c.children()[0];
    for (uint32_t e = c.offsets()[i]; e < c.offsets()[i + 1]; ++e)
      if (elements.is_valid(e)) f(elements.data<std::string_view>()[e]);
  }
}

}  // namespace

Signature bind_lower(const std::vector<Arg>& args) {
  expect_arg_count("lower", args, 1, 1);
  return simple<StringT, StringT>(change_case<false>);
}

Signature bind_upper(const std::vector<Arg>& args) {
  expect_arg_count("upper", args, 1, 1);
  return simple<StringT, StringT>(change_case<true>);
}

Signature bind_trim(const std::vector<Arg>& args) {
  return bind_trim_side("trim", args, TrimSide::Both, false);
}
Signature bind_ltrim(const std::vector<Arg>& args) {
  return bind_trim_side("ltrim", args, TrimSide::Left, false);
}
Signature bind_rtrim(const std::vector<Arg>& args) {
  return bind_trim_side("rtrim", args, TrimSide::Right, false);
}
Signature bind_btrim(const std::vector<Arg>& args) {
  return bind_trim_side("btrim", args, TrimSide::Both, true);
}

// length: characters of a string, bytes of a binary.
Signature bind_length(const std::vector<Arg>& args) {
  expect_arg_count("length", args, 1, 1);
  if (args[0].type.id == TypeId::Binary)
    return simple<IntT, BinaryT>(
        [](int32_t& out, std::string_view s) { out = static_cast<int32_t>(s.size()); });
  return simple<IntT, StringT>(
      [](int32_t& out, std::string_view s) { out = static_cast<int32_t>(utf8_length(s)); });
}

Signature bind_substring(const std::vector<Arg>& args) {
  expect_arg_count("substring", args, 2, 3);
  auto run = [&](auto tag) {
    using Tag = decltype(tag);
    constexpr bool bytes = std::is_same_v<Tag, BinaryT>;
    if (args.size() == 2)
      return simple<Tag, Tag, IntT>([](StringOut& out, std::string_view s, int32_t pos) {
        out.view(substring_sql(s, pos, INT32_MAX, bytes));
      });
    return simple<Tag, Tag, IntT, IntT>([](StringOut& out, std::string_view s, int32_t pos, int32_t len) {
      out.view(substring_sql(s, pos, len, bytes));
    });
  };
  return args[0].type.id == TypeId::Binary ? run(BinaryT{}) : run(StringT{});
}

// concat of arrays: the elements of all arguments in order.
Signature concat_arrays(const std::vector<Arg>& args) {
  std::vector<DataType> types;
  for (const Arg& a : args) types.push_back(a.type);
  DataType array = common_type_of("concat", types);
  Kernel kernel = [array](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = Column::make(array, rows);
    Column& elements = *out->children()[0];
    for (size_t i = 0; i < rows; ++i) {
      bool any_null = false;
      for (const ColumnRef& c : cols) any_null |= c->is_null(i);
      if (any_null) {
        out->append_null();
        continue;
      }
      for (const ColumnRef& c : cols)
        for (uint32_t e = c->offsets()[i]; e < c->offsets()[i + 1]; ++e)
          elements.append_from(*c->children()[0], e);
      out->end_array();
    }
    return out;
  };
  return Signature{std::vector<DataType>(args.size(), array), array, std::move(kernel)};
}

// concat: NULL if any argument is NULL. Strings, or arrays when every argument is one.
Signature bind_concat(const std::vector<Arg>& args) {
  auto is_array = [](const Arg& a) { return a.type.id == TypeId::Array; };
  if (!args.empty() && std::all_of(args.begin(), args.end(), is_array)) return concat_arrays(args);
  DataType string = DataType::of(TypeId::String);
  Kernel kernel = [string](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = result_with_nulls_of(string, rows, cols);
    Arena& arena = out->arena();
    auto* values = out->data<std::string_view>();
    for (size_t i = 0; i < rows; ++i) {
      if (out->is_null(i)) continue;
      size_t size = 0;
      for (const ColumnRef& c : cols) size += c->data<std::string_view>()[i].size();
      char* dst = arena.allocate(size);
      size_t n = 0;
      for (const ColumnRef& c : cols) {
        std::string_view piece = c->data<std::string_view>()[i];
        if (!piece.empty()) std::memcpy(dst + n, piece.data(), piece.size());
        n += piece.size();
      }
      values[i] = {dst, size};
    }
    return out;
  };
  return Signature{std::vector<DataType>(args.size(), string), string, std::move(kernel)};
}

// concat_ws(sep, ...): skips NULL arguments and NULL array elements; NULL only when sep is.
Signature bind_concat_ws(const std::vector<Arg>& args) {
  expect_arg_count("concat_ws", args, 1, SIZE_MAX);
  DataType string = DataType::of(TypeId::String);
  std::vector<DataType> wanted{string};
  for (size_t k = 1; k < args.size(); ++k) {
    bool is_array = args[k].type.id == TypeId::Array;
    if (is_array && args[k].type.element->id != TypeId::String && args[k].type.element->id != TypeId::Null)
      throw BindError("concat_ws expects string or array<string> arguments, got " + args[k].type.to_string());
    wanted.push_back(is_array ? DataType::array_of(string) : string);
  }
  Kernel kernel = [string](const std::vector<ColumnRef>& cols, size_t rows, const expr::EvalContext&) {
    ColumnRef out = result_with_nulls_of(string, rows, {cols[0]});
    Arena& arena = out->arena();
    auto* values = out->data<std::string_view>();
    std::string row;
    for (size_t i = 0; i < rows; ++i) {
      if (out->is_null(i)) continue;
      std::string_view sep = cols[0]->data<std::string_view>()[i];
      row.clear();
      bool first = true;
      for_each_piece(cols, i, [&](std::string_view piece) {
        if (!first) row += sep;
        row += piece;
        first = false;
      });
      values[i] = arena.copy(row);
    }
    return out;
  };
  return Signature{std::move(wanted), string, std::move(kernel)};
}

// replace(str, search[, replacement]): every occurrence; an empty search changes nothing.
Signature bind_replace(const std::vector<Arg>& args) {
  expect_arg_count("replace", args, 2, 3);
  auto replace = [](StringOut& out, std::string_view s, std::string_view search, std::string_view with) {
    if (search.empty() || s.find(search) == std::string_view::npos) {
      out.view(s);
      return;
    }
    std::string result;
    size_t from = 0;
    for (size_t at; (at = s.find(search, from)) != std::string_view::npos; from = at + search.size()) {
      result.append(s.substr(from, at - from));
      result.append(with);
    }
    result.append(s.substr(from));
    out.copy(result);
  };
  if (args.size() == 2)
    return simple<StringT, StringT, StringT>(
        [replace](StringOut& out, std::string_view s, std::string_view search) {
          replace(out, s, search, {});
        });
  return simple<StringT, StringT, StringT, StringT>(replace);
}

Signature bind_lpad(const std::vector<Arg>& args) { return bind_pad("lpad", args, true); }
Signature bind_rpad(const std::vector<Arg>& args) { return bind_pad("rpad", args, false); }

// instr(str, substr): 1-based character position of the first occurrence, 0 if none.
Signature bind_instr(const std::vector<Arg>& args) {
  expect_arg_count("instr", args, 2, 2);
  return simple<IntT, StringT, StringT>([](int32_t& out, std::string_view s, std::string_view sub) {
    size_t at = s.find(sub);
    out = at == std::string_view::npos ? 0 : static_cast<int32_t>(utf8_length(s.substr(0, at)) + 1);
  });
}

Signature bind_startswith(const std::vector<Arg>& args) {
  return string_predicate("startswith", args,
                          [](std::string_view a, std::string_view b) { return a.starts_with(b); });
}
Signature bind_endswith(const std::vector<Arg>& args) {
  return string_predicate("endswith", args,
                          [](std::string_view a, std::string_view b) { return a.ends_with(b); });
}
Signature bind_contains(const std::vector<Arg>& args) {
  return string_predicate("contains", args, [](std::string_view a, std::string_view b) {
    return a.find(b) != std::string_view::npos;
  });
}

}  // namespace runnel::fn
