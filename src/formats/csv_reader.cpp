// CSV reader (RFC 4180 plus Spark's options). Columns are positional: the
// schema's data columns (all but `_corrupt_record`) take the record's fields
// in order. As Spark (univocity): blank lines are skipped; with `header` the
// first line of each file is skipped; quoted fields may hold delimiters,
// newlines and quotes (doubled, or preceded by `escape`); an unquoted empty
// field, and any field equal to `null_value` after unquoting, is null (so
// with the default null_value "" a quoted "" is null too). A record with the
// wrong number of fields or a value that does not convert is malformed; the
// fields that did convert are kept (Spark's partial results).
#include <emmintrin.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/error.hpp"
#include "formats/row_batcher.hpp"
#include "types/timestamp.hpp"

namespace runnel {

namespace {

struct FieldSpan {
  size_t begin, size;  // in the record's data, or (copied) in its scratch buffer
  bool quoted;
  bool copied;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

template <class T>
bool parse_integer(std::string_view text, T& out) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);  // Java's parseInt accepts a sign
  if (text.empty() || text[0] == '+') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Java's Double.parseDouble plus Spark's nanValue/positiveInf/negativeInf.
bool parse_double(std::string_view text, double& out) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
  bool negative = !text.empty() && text[0] == '-';
  std::string_view body = !text.empty() && (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
  if (body == "NaN") return out = std::nan(""), true;
  if (body == "Infinity" || body == "Inf") return out = negative ? -HUGE_VAL : HUGE_VAL, true;
  if (!body.empty() && std::strchr("fFdD", body.back())) body.remove_suffix(1);
  if (body.empty() || body[0] == '-' || body[0] == '+') return false;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), out);
  if (end != body.data() + body.size()) return false;
  if (ec == std::errc::result_out_of_range) out = std::strtod(std::string(body).c_str(), nullptr);  // +-inf or 0
  else if (ec != std::errc()) return false;
  if (negative) out = -out;
  return true;
}

// The first `delimiter` or newline in data[pos, end), or `end`: sixteen
// bytes at a time, since most fields are shorter than that.
size_t find_field_end(const char* data, size_t pos, size_t end, char delimiter) {
  const __m128i d = _mm_set1_epi8(delimiter), newline = _mm_set1_epi8('\n');
  for (; pos + 16 <= end; pos += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, d), _mm_cmpeq_epi8(block, newline)));
    if (hits) return pos + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
  }
  while (pos < end && data[pos] != delimiter && data[pos] != '\n') ++pos;
  return pos;
}

// Converts one field's text by the column's type; false when it does not convert.
bool append_converted(std::string_view text, Column& column) {
  switch (column.id()) {
    case TypeId::String:
    case TypeId::Binary: column.append_string(text); return true;
    case TypeId::Boolean:
      if (iequals(text, "true")) column.append<uint8_t>(1);
      else if (iequals(text, "false")) column.append<uint8_t>(0);
      else return false;
      return true;
    case TypeId::Int: {
      int32_t v;
      if (!parse_integer(text, v)) return false;
      column.append(v);
      return true;
    }
    case TypeId::Long: {
      int64_t v;
      if (!parse_integer(text, v)) return false;
      column.append(v);
      return true;
    }
    case TypeId::Float:
    case TypeId::Double: {
      double v;
      if (!parse_double(text, v)) return false;
      if (column.id() == TypeId::Float) column.append(static_cast<float>(v));
      else column.append(v);
      return true;
    }
    case TypeId::Timestamp: {
      auto v = parse_timestamp(text);
      if (!v) return false;
      column.append(*v);
      return true;
    }
    case TypeId::Date: {
      auto v = parse_date(text);
      if (!v) return false;
      column.append(*v);
      return true;
    }
    default: return false;  // struct/array are rejected when the reader is made
  }
}

class CsvReader final : public RecordReader {
 public:
  CsvReader(SchemaRef schema, BadRecords& bad, CsvOptions options, size_t rows_per_batch)
      : rows_(std::move(schema), bad, rows_per_batch), options_(std::move(options)) {
    for (size_t i : rows_.data_columns()) {
      const Field& f = rows_.schema()[i];
      if (f.type.id == TypeId::Struct || f.type.id == TypeId::Array)
        fail(ErrorKind::Config, "csv format does not support column '" + f.name + "' of type " + f.type.to_string());
    }
  }

  size_t complete_prefix(std::string_view data) const override {
    // Without a quote nothing is quoted and the last newline ends the last whole record.
    if (data.find(options_.quote) == std::string_view::npos) return data.rfind('\n') + 1;  // npos + 1 == 0
    size_t complete = 0;
    bool quoted = false;
    for (size_t i = 0; i < data.size(); ++i) {
      char c = data[i];
      if (quoted && c == options_.escape && c != options_.quote && i + 1 < data.size()) {
        ++i;  // the escaped character, whatever it is
      } else if (c == options_.quote) {
        quoted = !quoted;  // a doubled quote toggles twice
      } else if (c == '\n' && !quoted) {
        complete = i + 1;
      }
    }
    return complete;
  }

  void parse(std::string_view data, const Origin& origin, const Emit& out) override {
    size_t pos = 0;
    uint64_t line = origin.first_line;
    if (options_.header && origin.byte_offset == 0) skip_header(data, pos, line);
    const bool unquoted = data.find(options_.quote, pos) == std::string_view::npos;
    while (pos < data.size()) {
      if (unquoted && convert_unquoted(data, pos, out)) {
        ++line;
        continue;
      }
      size_t start = pos;
      uint64_t first_line = line;
      read_record(data, pos, line);
      std::string_view raw = data.substr(start, pos - start);
      while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
      if (raw.empty()) continue;  // blank line
      convert_record(raw, origin, first_line, out);
    }
    rows_.flush(out);
  }

 private:
  void skip_header(std::string_view data, size_t& pos, uint64_t& line) {
    while (pos < data.size()) {  // the first non-blank record
      size_t start = pos;
      read_record(data, pos, line);
      std::string_view raw = data.substr(start, pos - start);
      if (raw.find_first_not_of("\r\n") != std::string_view::npos) return;
    }
  }

  // Splits the record at `pos` into fields_ / scratch_, advancing past its newline.
  void read_record(std::string_view data, size_t& pos, uint64_t& line) {
    fields_.clear();
    scratch_.clear();
    const size_t start = pos;
    bool more = true;
    while (more) more = pos < data.size() && data[pos] == options_.quote ? read_quoted(data, pos, line)
                                                                         : read_plain(data, start, pos, line);
  }

  // An unquoted field (its quotes are plain characters) is a span of the
  // record that starts at `start`, not copied: up to the delimiter or the
  // newline, less the '\r' of a "\r\n" (or of the data's end). True when a
  // delimiter ended it.
  bool read_plain(std::string_view data, size_t start, size_t& pos, uint64_t& line) {
    const char delimiter = options_.delimiter;
    const size_t begin = pos;
    pos = find_field_end(data.data(), pos, data.size(), delimiter);
    size_t end = pos;
    const bool more = pos < data.size() && data[pos] == delimiter;
    if (end > begin && data[end - 1] == '\r' && !more) --end;
    fields_.push_back(FieldSpan{begin - start, end - begin, false, false});
    if (pos < data.size()) {
      if (!more) ++line;
      ++pos;
    }
    return more;
  }

  // A field that opens with a quote, unquoted into scratch_: delimiters and
  // newlines inside the quotes are text, a doubled quote (or one after
  // `escape`) is a quote, and what follows the closing quote is plain text
  // up to the delimiter or newline. True when a delimiter ended it.
  bool read_quoted(std::string_view data, size_t& pos, uint64_t& line) {
    const char quote = options_.quote, escape = options_.escape, delimiter = options_.delimiter;
    FieldSpan field{scratch_.size(), 0, true, true};
    bool in_quotes = true, more = false;
    for (++pos; pos < data.size(); ++pos) {
      char c = data[pos];
      if (in_quotes) {
        if (c == escape && escape != quote && pos + 1 < data.size() &&
            (data[pos + 1] == quote || data[pos + 1] == escape)) {
          scratch_.push_back(data[++pos]);
        } else if (c == quote) {
          if (pos + 1 < data.size() && data[pos + 1] == quote) scratch_.push_back(data[++pos]);
          else in_quotes = false;
        } else {
          if (c == '\n') ++line;
          scratch_.push_back(c);
        }
        continue;
      }
      if (c == delimiter || c == '\n') {
        more = c == delimiter;
        if (!more) ++line;
        ++pos;
        break;
      }
      if (c != '\r' || (pos + 1 < data.size() && data[pos + 1] != '\n')) scratch_.push_back(c);
    }
    field.size = scratch_.size() - field.begin;
    fields_.push_back(field);
    return more;
  }

  // The record at `pos` in data without quotes, converted straight from it
  // (no field list, no copy): true, with pos past its newline, when it has
  // the schema's fields and each converts. Otherwise nothing of it is kept
  // and pos is unchanged: a blank line, a wrong number of fields, a value
  // that does not convert are the general path's (its messages, its modes).
  bool convert_unquoted(std::string_view data, size_t& pos, const Emit& out) {
    if (data[pos] == '\n' || data[pos] == '\r') return false;
    const auto& columns = rows_.data_columns();
    size_t at = pos;
    for (size_t k = 0; k < columns.size(); ++k) {
      const size_t end = find_field_end(data.data(), at, data.size(), options_.delimiter);
      const bool more = end < data.size() && data[end] == options_.delimiter, last = k + 1 == columns.size();
      size_t text_end = end;
      if (last && text_end > at && data[text_end - 1] == '\r') --text_end;
      if (more == last || !append_field(rows_.column(columns[k]), data.substr(at, text_end - at), false)) {
        rows_.discard_row();
        return false;
      }
      at = end + 1;
    }
    pos = std::min(at, data.size());
    rows_.end_row(out);
    return true;
  }

  // Appends a field's value to `column`: null for an unquoted empty field or
  // null_value; false, appending nothing, when it does not convert.
  bool append_field(Column& column, std::string_view text, bool quoted) const {
    if ((text.empty() && !quoted) || text == options_.null_value) {
      column.append_null();
      return true;
    }
    if (column.id() != TypeId::String) return append_converted(text, column);
    column.append_string(text);  // the common case, without append_converted's call
    return true;
  }

  // Field f's text; `raw` is its record.
  std::string_view field_text(std::string_view raw, const FieldSpan& f) const {
    return {(f.copied ? scratch_.data() : raw.data()) + f.begin, f.size};
  }

  void convert_record(std::string_view raw, const Origin& origin, uint64_t line, const Emit& out) {
    const auto& columns = rows_.data_columns();
    const size_t num_fields = fields_.size();
    const char* failed = nullptr;
    std::string reason;
    for (size_t k = 0; k < columns.size(); ++k) {
      Column& column = rows_.column(columns[k]);
      if (k >= num_fields) {
        column.append_null();
        continue;
      }
      const std::string_view text = field_text(raw, fields_[k]);
      if (!append_field(column, text, fields_[k].quoted)) {
        column.append_null();
        if (reason.empty()) {
          const Field& f = rows_.schema()[columns[k]];
          reason = "cannot parse the value '" + std::string(text.substr(0, 64)) + "' of column '" + f.name +
                   "' as " + f.type.to_string();
          failed = field_start(raw, k);
        }
      }
    }
    if (reason.empty() && fields_.size() != columns.size())
      reason = "expected " + std::to_string(columns.size()) + " fields, found " + std::to_string(fields_.size());
    if (reason.empty()) return rows_.end_row(out);
    size_t column = failed ? static_cast<size_t>(failed - raw.data()) + 1 : 1;
    rows_.end_bad_row(origin, line, column, reason, raw, true, out);
  }

  // Where field k starts in the raw record, for the error position.
  const char* field_start(std::string_view raw, size_t k) const {
    bool quoted = false;
    size_t field = 0;
    for (size_t i = 0; i < raw.size() && field < k; ++i) {
      if (raw[i] == options_.quote) quoted = !quoted;
      else if (raw[i] == options_.delimiter && !quoted && ++field == k) return raw.data() + i + 1;
    }
    return raw.data();
  }

  RowBatcher rows_;
  CsvOptions options_;
  std::vector<FieldSpan> fields_;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<RecordReader> make_csv_reader(SchemaRef schema, BadRecords& bad, CsvOptions options,
                                              size_t rows_per_batch) {
  return std::make_unique<CsvReader>(std::move(schema), bad, std::move(options), rows_per_batch);
}

}  // namespace runnel
