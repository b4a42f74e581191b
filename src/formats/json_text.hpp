// Writing JSON text the way Jackson (and so Spark) does.
#pragma once
#include <string>
#include <string_view>

namespace runnel {

// Appends `text` as a quoted JSON string: '"' and '\\' escaped, \b \t \n \f \r
// as short escapes, other control characters as \u00XX (uppercase hex, as
// Jackson), everything else (UTF-8 included) passed through.
void append_json_string(std::string_view text, std::string& out);

}  // namespace runnel
