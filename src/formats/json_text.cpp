#include "formats/json_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace runnel {

namespace {

// For each byte: 0 = copy as is, 'u' = \u00XX, other = the letter after '\'.
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}
constexpr std::array<char, 256> kEscape = make_escape_table();

}  // namespace

char* put_json_string(std::string_view text, char* p) {
  *p++ = '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    char escape = kEscape[static_cast<uint8_t>(text[i])];
    if (!escape) continue;
    std::memcpy(p, text.data() + run, i - run);
    p += i - run;
    run = i + 1;
    *p++ = '\\';
    *p++ = escape;
    if (escape == 'u') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uint8_t c = static_cast<uint8_t>(text[i]);
      *p++ = '0';
      *p++ = '0';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
  }
  // Guarded: an empty view's data() may be null, which memcpy must not get.
  if (run < text.size()) std::memcpy(p, text.data() + run, text.size() - run);
  p += text.size() - run;
  *p++ = '"';
  return p;
}

void append_json_string(std::string_view text, std::string& out) {
  const size_t old = out.size();
  out.resize(old + json_string_bound(text));
  char* end = put_json_string(text, out.data() + old);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace runnel
