#include "formats/json_text.hpp"

#include <array>
#include <cstdint>

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

void append_json_string(std::string_view text, std::string& out) {
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    char escape = kEscape[static_cast<uint8_t>(text[i])];
    if (!escape) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    out.push_back(escape);
    if (escape == 'u') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uint8_t c = static_cast<uint8_t>(text[i]);
      out.append("00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

}  // namespace runnel
