// JSON writer: Spark's JSON output (JacksonGenerator with ignoreNullFields):
// one object per visible row, keys in schema order, null fields omitted (also
// inside structs; nulls inside arrays are written as null), doubles as Java's
// Double.toString with NaN/Infinity quoted (Jackson's default), timestamps as
// ISO-8601 with 'Z', binary as base64.
#include <cmath>

#include "formats/format.hpp"
#include "formats/json_text.hpp"
#include "types/number_format.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

void append_base64(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.push_back('"');
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  out.push_back('"');
}

// Jackson writes non-finite numbers as strings.
void append_floating(double v, bool is_float, std::string& out) {
  bool finite = std::isfinite(v);
  if (!finite) out.push_back('"');
  if (is_float) format_float(static_cast<float>(v), out);
  else format_double(v, out);
  if (!finite) out.push_back('"');
}

// "\"name\":" for each field of a struct, built once.
std::vector<std::string> key_prefixes(const std::vector<Field>& fields) {
  std::vector<std::string> keys;
  for (auto& f : fields) {
    std::string key;
    append_json_string(f.name, key);
    keys.push_back(key + ":");
  }
  return keys;
}

struct StructKeys {
  std::vector<std::string> keys;
  std::vector<StructKeys> children;  // per field: keys of nested structs (through arrays)
};

StructKeys keys_for(const DataType& type) {
  StructKeys k;
  if (type.id == TypeId::Array) return keys_for(*type.element);
  k.keys = key_prefixes(type.fields);
  for (auto& f : type.fields) k.children.push_back(keys_for(f.type));
  return k;
}

void append_value(const Column& c, size_t i, const StructKeys& keys, std::string& out);

void append_object(const std::vector<ColumnRef>& columns, size_t i, const StructKeys& keys, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (size_t f = 0; f < columns.size(); ++f) {
    const Column& c = *columns[f];
    if (c.is_null(i)) continue;
    if (!first) out.push_back(',');
    first = false;
    out += keys.keys[f];
    append_value(c, i, keys.children[f], out);
  }
  out.push_back('}');
}

void append_value(const Column& c, size_t i, const StructKeys& keys, std::string& out) {
  if (c.is_null(i)) {
    out += "null";
    return;
  }
  switch (c.id()) {
    case TypeId::Boolean: out += c.data<uint8_t>()[i] ? "true" : "false"; break;
    case TypeId::Int: format_int(c.data<int32_t>()[i], out); break;
    case TypeId::Long: format_int(c.data<int64_t>()[i], out); break;
    case TypeId::Float: append_floating(c.data<float>()[i], true, out); break;
    case TypeId::Double: append_floating(c.data<double>()[i], false, out); break;
    case TypeId::String: append_json_string(c.data<std::string_view>()[i], out); break;
    case TypeId::Binary: append_base64(c.data<std::string_view>()[i], out); break;
    case TypeId::Timestamp:
      out.push_back('"');
      format_timestamp_iso(c.data<int64_t>()[i], out);
      out.push_back('"');
      break;
    case TypeId::Date:
      out.push_back('"');
      format_date(c.data<int32_t>()[i], out);
      out.push_back('"');
      break;
    case TypeId::Struct: append_object(c.children(), i, keys, out); break;
    case TypeId::Array: {
      out.push_back('[');
      const Column& elements = *c.children()[0];
      for (uint32_t k = c.offsets()[i]; k < c.offsets()[i + 1]; ++k) {
        if (k > c.offsets()[i]) out.push_back(',');
        append_value(elements, k, keys, out);
      }
      out.push_back(']');
      break;
    }
    case TypeId::Null: out += "null"; break;
  }
}

class JsonWriter final : public RecordWriter {
 public:
  explicit JsonWriter(SchemaRef schema) : keys_(keys_for(DataType::struct_of(schema->fields))) {}

  void write(const Batch& batch, std::string& out) override {
    out.reserve(out.size() + batch.size() * 64);
    for (size_t r = 0; r < batch.size(); ++r) {
      append_object(batch.columns, batch.row(r), keys_, out);
      out.push_back('\n');
    }
  }

 private:
  StructKeys keys_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_json_writer(SchemaRef schema) { return std::make_unique<JsonWriter>(std::move(schema)); }

}  // namespace runnel
