// Writing JSON text the way Jackson (and so Spark) does.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace runnel {

// Appends `text` as a quoted JSON string: '"' and '\\' escaped, \b \t \n \f \r
// as short escapes, other control characters as \u00XX (uppercase hex, as
// Jackson), everything else (UTF-8 included) passed through.
void append_json_string(std::string_view text, std::string& out);

// The most bytes put_json_string writes for `text` (every byte a \u00XX, and the quotes).
constexpr size_t json_string_bound(std::string_view text) { return 6 * text.size() + 2; }
// The same as append_json_string at p, which has room for json_string_bound(text)
// bytes; returns the end. For writers that size their output once per batch.
char* put_json_string(std::string_view text, char* p);

}  // namespace runnel
