#include "sinks/value_text.hpp"

#include "types/number_format.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

void append_hex(std::string_view bytes, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out += '[';
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    auto b = static_cast<unsigned char>(bytes[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  out += ']';
}

}  // namespace

void append_value_text(const Column& column, size_t row, std::string& out) {
  if (column.is_null(row)) {
    out += kNullText;
    return;
  }
  switch (column.id()) {
    case TypeId::Null: out += kNullText; break;
    case TypeId::Boolean: out += column.data<uint8_t>()[row] ? "true" : "false"; break;
    case TypeId::Int: format_int(column.data<int32_t>()[row], out); break;
    case TypeId::Long: format_int(column.data<int64_t>()[row], out); break;
    case TypeId::Float: format_float(column.data<float>()[row], out); break;
    case TypeId::Double: format_double(column.data<double>()[row], out); break;
    case TypeId::String: out += column.data<std::string_view>()[row]; break;
    case TypeId::Binary: append_hex(column.data<std::string_view>()[row], out); break;
    case TypeId::Timestamp: format_timestamp_sql(column.data<int64_t>()[row], out); break;
    case TypeId::Date: format_date(column.data<int32_t>()[row], out); break;
    case TypeId::Struct: {
      out += '{';
      const auto& fields = column.children();
      for (size_t f = 0; f < fields.size(); ++f) {
        if (f) out += ", ";
        append_value_text(*fields[f], row, out);
      }
      out += '}';
      break;
    }
    case TypeId::Array: {
      out += '[';
      const uint32_t* offsets = column.offsets();
      const Column& elements = *column.children()[0];
      for (uint32_t k = offsets[row]; k < offsets[row + 1]; ++k) {
        if (k != offsets[row]) out += ", ";
        append_value_text(elements, k, out);
      }
      out += ']';
      break;
    }
  }
}

}  // namespace runnel
