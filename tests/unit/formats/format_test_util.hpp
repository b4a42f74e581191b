// Helpers for the format tests: run a reader over text, look at values.
#pragma once
#include <string>
#include <vector>

#include "formats/format.hpp"
#include "types/timestamp.hpp"

namespace runnel::testing {

inline SchemaRef schema_of(const std::string& ddl) {
  return std::make_shared<const Schema>(parse_ddl_schema(ddl, "test"));
}

// Parses `text` (copied into a padded buffer) and returns the emitted batches.
inline std::vector<Batch> read_all(RecordReader& reader, const std::string& text,
                                   const Origin& origin = Origin{"in.json", 1, 0}) {
  std::string buffer = text;
  buffer.append(kReadPadding, '\0');
  std::vector<Batch> batches;
  reader.parse(std::string_view(buffer.data(), text.size()), origin, [&](Batch& b) { batches.push_back(b); });
  return batches;
}

// One value as text for assertions: "null", numbers, strings as is.
inline std::string show(const Column& c, size_t row) {
  if (c.is_null(row)) return "null";
  std::string out;
  switch (c.id()) {
    case TypeId::Boolean: return c.data<uint8_t>()[row] ? "true" : "false";
    case TypeId::Int: return std::to_string(c.data<int32_t>()[row]);
    case TypeId::Long: return std::to_string(c.data<int64_t>()[row]);
    case TypeId::Float: return std::to_string(c.data<float>()[row]);
    case TypeId::Double: return std::to_string(c.data<double>()[row]);
    case TypeId::String:
    case TypeId::Binary: return std::string(c.data<std::string_view>()[row]);
    case TypeId::Timestamp: format_timestamp_iso(c.data<int64_t>()[row], out); return out;
    case TypeId::Date: format_date(c.data<int32_t>()[row], out); return out;
    case TypeId::Struct: {
      out = "{";
      for (size_t i = 0; i < c.children().size(); ++i) {
        if (i) out += ',';
        out += show(*c.children()[i], row);
      }
      return out + "}";
    }
    case TypeId::Array: {
      out = "[";
      for (uint32_t k = c.offsets()[row]; k < c.offsets()[row + 1]; ++k) {
        if (k > c.offsets()[row]) out += ',';
        out += show(*c.children()[0], k);
      }
      return out + "]";
    }
    case TypeId::Null: return "null";
  }
  return "?";
}

// All rows of all batches, each as "v1|v2|...".
inline std::vector<std::string> rows_of(const std::vector<Batch>& batches) {
  std::vector<std::string> rows;
  for (auto& b : batches)
    for (size_t i = 0; i < b.size(); ++i) {
      std::string row;
      for (size_t c = 0; c < b.columns.size(); ++c) {
        if (c) row += '|';
        row += show(*b.columns[c], b.row(i));
      }
      rows.push_back(row);
    }
  return rows;
}

}  // namespace runnel::testing

#include <doctest.h>
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& rows) {
    std::string out = "[";
    for (auto& r : rows) out += "\n  <" + r + ">";
    return (out + "]").c_str();
  }
};
