// CSV writer with Spark's defaults (univocity): a field is quoted only when
// it holds the delimiter, the quote, the escape, a newline or carriage
// return, or is the empty string (written ""); quotes and escapes inside are
// preceded by `escape`; a null is written as null_value (default: empty,
// unquoted); leading and trailing whitespace of strings is trimmed (Spark's
// ignoreLeading/TrailingWhiteSpace default true for writing); timestamps as
// ISO-8601 with 'Z', doubles as Java's Double.toString.
#include "base/error.hpp"
#include "formats/format.hpp"
#include "types/number_format.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

class CsvWriter final : public RecordWriter {
 public:
  CsvWriter(SchemaRef schema, CsvOptions options) : schema_(std::move(schema)), options_(std::move(options)) {
    for (auto& f : schema_->fields)
      if (f.type.id == TypeId::Struct || f.type.id == TypeId::Array)
        fail(ErrorKind::Config, "csv format does not support column '" + f.name + "' of type " + f.type.to_string());
  }

  void begin(AlignedBytes& out) override {
    if (!options_.header) return;
    text_.clear();
    for (size_t i = 0; i < schema_->size(); ++i) {
      if (i) text_.push_back(options_.delimiter);
      append_text((*schema_)[i].name, text_);
    }
    text_.push_back('\n');
    out.append(text_);
  }

  // Rows are formatted into text_ first: the number and date formatters append to strings.
  void write(const Batch& batch, AlignedBytes& out) override {
    text_.clear();
    for (size_t r = 0; r < batch.size(); ++r) {
      uint32_t row = batch.row(r);
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        if (c) text_.push_back(options_.delimiter);
        append_value(*batch.columns[c], row, text_);
      }
      text_.push_back('\n');
    }
    out.append(text_);
  }

 private:
  void append_value(const Column& c, size_t i, std::string& out) {
    if (c.is_null(i)) {
      out += options_.null_value;
      return;
    }
    switch (c.id()) {
      case TypeId::Boolean: out += c.data<uint8_t>()[i] ? "true" : "false"; break;
      case TypeId::Int: format_int(c.data<int32_t>()[i], out); break;
      case TypeId::Long: format_int(c.data<int64_t>()[i], out); break;
      case TypeId::Float: format_float(c.data<float>()[i], out); break;
      case TypeId::Double: format_double(c.data<double>()[i], out); break;
      case TypeId::String:
      case TypeId::Binary: append_text(trim(c.data<std::string_view>()[i]), out); break;
      case TypeId::Timestamp: format_timestamp_iso(c.data<int64_t>()[i], out); break;
      case TypeId::Date: format_date(c.data<int32_t>()[i], out); break;
      default: break;
    }
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
    return s;
  }

  bool needs_quotes(std::string_view s) const {
    if (s.empty()) return true;
    for (char ch : s)
      if (ch == options_.delimiter || ch == options_.quote || ch == options_.escape || ch == '\n' || ch == '\r')
        return true;
    return false;
  }

  void append_text(std::string_view s, std::string& out) {
    if (!needs_quotes(s) || !options_.quote) {
      out += s;
      return;
    }
    // Without an escape character a quote is doubled (RFC 4180).
    char escape = options_.escape ? options_.escape : options_.quote;
    out.push_back(options_.quote);
    for (char ch : s) {
      if (ch == options_.quote || ch == escape) out.push_back(escape);
      out.push_back(ch);
    }
    out.push_back(options_.quote);
  }

  SchemaRef schema_;
  CsvOptions options_;
  std::string text_;  // this batch's rows
};

}  // namespace

std::unique_ptr<RecordWriter> make_csv_writer(SchemaRef schema, CsvOptions options) {
  return std::make_unique<CsvWriter>(std::move(schema), std::move(options));
}

}  // namespace runnel
