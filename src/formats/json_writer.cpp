// JSON writer: Spark's JSON output (JacksonGenerator with ignoreNullFields):
// one object per visible row, keys in schema order, null fields omitted (also
// inside structs; nulls inside arrays are written as null), doubles as Java's
// Double.toString with NaN/Infinity quoted (Jackson's default), timestamps as
// ISO-8601 with 'Z', binary as base64.
#include <charconv>
#include <cmath>
#include <cstring>

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

// How a top-level field is written. The common flat types go straight into
// the output bytes; the others are rendered a column at a time first (Text).
enum class FieldKind : uint8_t { Boolean, Int, Long, String, Timestamp, Text };

FieldKind kind_of(TypeId id) {
  switch (id) {
    case TypeId::Boolean: return FieldKind::Boolean;
    case TypeId::Int: return FieldKind::Int;
    case TypeId::Long: return FieldKind::Long;
    case TypeId::String: return FieldKind::String;
    case TypeId::Timestamp: return FieldKind::Timestamp;
    default: return FieldKind::Text;
  }
}

// The most bytes a value of a fixed-width kind takes ("false", an int64's
// digits, a quoted timestamp of any year).
size_t value_bound(FieldKind kind) {
  switch (kind) {
    case FieldKind::Boolean: return 5;
    case FieldKind::Int: return 11;
    case FieldKind::Long: return 20;
    case FieldKind::Timestamp: return kTimestampIsoChars + 2;
    default: return 0;  // String, Text: by their lengths
  }
}

// One object per visible row, written into bytes sized once per batch: no
// per-value growth checks. Text fields are rendered first, a column at a
// time, into texts_ (offsets_ per visible row).
class JsonWriter final : public RecordWriter {
 public:
  explicit JsonWriter(SchemaRef schema) : keys_(keys_for(DataType::struct_of(schema->fields))) {
    for (size_t f = 0; f < schema->fields.size(); ++f) {
      kinds_.push_back(kind_of(schema->fields[f].type.id));
      if (kinds_.back() == FieldKind::String) strings_.push_back(f);
    }
    texts_.resize(kinds_.size());
    offsets_.resize(kinds_.size());
  }

  void write(const Batch& batch, AlignedBytes& out) override {
    const size_t n = batch.size();
    if (n == 0) return;
    const size_t old = out.size();
    out.resize(old + bound(batch));
    char* p = out.data() + old;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) prefetch_strings(batch, batch.row(i + kAhead));
      p = put_row(batch, i, p);
    }
    out.resize(static_cast<size_t>(p - out.data()));
  }

 private:
  // The most bytes the batch's rows take; renders the Text fields.
  size_t bound(const Batch& batch) {
    const size_t n = batch.size();
    size_t bytes = n * 3;  // '{', '}', '\n'
    for (size_t f = 0; f < kinds_.size(); ++f) {
      const Column& c = *batch.columns[f];
      bytes += n * (keys_.keys[f].size() + 1 + value_bound(kinds_[f]));  // with the ','
      if (kinds_[f] == FieldKind::String) {
        const std::string_view* values = c.data<std::string_view>();
        for (size_t i = 0; i < n; ++i) bytes += json_string_bound(values[batch.row(i)]);
      } else if (kinds_[f] == FieldKind::Text) {
        bytes += render(batch, f);
      }
    }
    return bytes;
  }

  size_t render(const Batch& batch, size_t f) {
    const Column& c = *batch.columns[f];
    std::string& text = texts_[f];
    std::vector<uint32_t>& offsets = offsets_[f];
    text.clear();
    offsets.assign(1, 0);
    for (size_t i = 0; i < batch.size(); ++i) {
      const uint32_t r = batch.row(i);
      if (c.is_valid(r)) append_value(c, r, keys_.children[f], text);
      offsets.push_back(static_cast<uint32_t>(text.size()));
    }
    return text.size();
  }

  // A batch's strings may sit anywhere in memory (a join's output points
  // into its buffered rows, gathered at random): a row's bytes are asked for
  // kAhead rows early, so formatting a row does not wait for a cache miss.
  static constexpr size_t kAhead = 16;
  void prefetch_strings(const Batch& batch, uint32_t r) const {
    for (size_t f : strings_) __builtin_prefetch(batch.columns[f]->data<std::string_view>()[r].data());
  }

  char* put_row(const Batch& batch, size_t i, char* p) {
    const uint32_t r = batch.row(i);
    *p++ = '{';
    char* first = p;
    for (size_t f = 0; f < kinds_.size(); ++f) {
      const Column& c = *batch.columns[f];
      if (c.is_null(r)) continue;
      if (p != first) *p++ = ',';
      const std::string& key = keys_.keys[f];
      std::memcpy(p, key.data(), key.size());
      p = put_value(c, r, f, i, p + key.size());
    }
    *p++ = '}';
    *p++ = '\n';
    return p;
  }

  char* put_value(const Column& c, uint32_t r, size_t f, size_t i, char* p) {
    switch (kinds_[f]) {
      case FieldKind::Boolean: {
        const std::string_view word = c.data<uint8_t>()[r] ? "true" : "false";
        std::memcpy(p, word.data(), word.size());
        return p + word.size();
      }
      case FieldKind::Int: return std::to_chars(p, p + 11, c.data<int32_t>()[r]).ptr;
      case FieldKind::Long: return std::to_chars(p, p + 20, c.data<int64_t>()[r]).ptr;
      case FieldKind::String: return put_json_string(c.data<std::string_view>()[r], p);
      case FieldKind::Timestamp: {
        *p++ = '"';
        p = put_timestamp_iso(c.data<int64_t>()[r], p);
        *p++ = '"';
        return p;
      }
      case FieldKind::Text: break;
    }
    const uint32_t begin = offsets_[f][i], size = offsets_[f][i + 1] - begin;
    std::memcpy(p, texts_[f].data() + begin, size);
    return p + size;
  }

  StructKeys keys_;
  std::vector<FieldKind> kinds_;
  std::vector<size_t> strings_;  // the String fields
  std::vector<std::string> texts_;
  std::vector<std::vector<uint32_t>> offsets_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_json_writer(SchemaRef schema) { return std::make_unique<JsonWriter>(std::move(schema)); }

}  // namespace runnel
