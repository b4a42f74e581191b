#include "sinks/console_sink.hpp"

#include <algorithm>

#include "sinks/fd_output.hpp"
#include "sinks/value_text.hpp"

namespace runnel {

namespace {

const config::OptionTable kOptions = {
    {"num_rows", config::OptionType::Int, "rows shown per batch", "20"},
    {"truncate", config::OptionType::Bool, "cut cells longer than 20 characters to 17 + \"...\"", "true"},
};

constexpr size_t kTruncateWidth = 20;  // Dataset.show(n, truncate = true)
constexpr std::string_view kBanner = "-------------------------------------------\n";

// One decoded UTF-8 character: its byte length and code point (an invalid
// byte decodes as one character, as Java's U+FFFD replacement would).
struct Utf8Char {
  size_t bytes;
  uint32_t code;
};

Utf8Char decode(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return {1, 0xFFFD};
  uint32_t code = n == 1 ? b : b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 2) return {1, 0xFFFD};
    code = (code << 6) | (c & 0x3F);
  }
  return {n, code};
}

// Java's String.length(): UTF-16 code units.
size_t java_length(uint32_t code) { return code > 0xFFFF ? 2 : 1; }

// Spark's Utils.stringHalfWidth: Java length plus one per full-width character.
bool is_full_width(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE10 && c <= 0xFE19) || (c >= 0xFE30 && c <= 0xFE6F) ||
         (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6);
}

size_t half_width(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    Utf8Char ch = decode(s, i);
    width += java_length(ch.code) + is_full_width(ch.code);
    i += ch.bytes;
  }
  return width;
}

// Spark's getRows: a cell longer than `limit` Java characters keeps limit - 3
// of them and gains "..." (limit < 4: just cut). A surrogate pair is never split.
std::string truncate_cell(std::string cell, size_t limit) {
  size_t keep = limit < 4 ? limit : limit - 3;
  size_t units = 0, keep_bytes = 0;
  for (size_t i = 0; i < cell.size();) {
    Utf8Char ch = decode(cell, i);
    units += java_length(ch.code);
    i += ch.bytes;
    if (units <= keep) keep_bytes = i;
  }
  if (units <= limit) return cell;
  cell.resize(keep_bytes);
  if (limit >= 4) cell += "...";
  return cell;
}

// Spark's SchemaUtils.escapeMetaCharacters: control characters would break the table.
std::string escape_meta(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\f': out += "\\f"; break;
      case '\b': out += "\\b"; break;
      case '\v': out += "\\v"; break;
      case '\a': out += "\\a"; break;
      default: out += c;
    }
  }
  return out;
}

void append_row(const std::vector<std::string>& cells, const std::vector<size_t>& widths, bool right_align,
                std::string& out) {
  out += '|';
  for (size_t c = 0; c < cells.size(); ++c) {
    if (c) out += '|';
    size_t pad = widths[c] - half_width(cells[c]);
    if (right_align) out.append(pad, ' ');
    out += cells[c];
    if (!right_align) out.append(pad, ' ');
  }
  out += "|\n";
}

class ConsoleSink final : public Sink {
 public:
  ConsoleSink(SchemaRef schema, ConsoleOptions options) : schema_(std::move(schema)), options_(options) {
    options_.num_rows = std::max<int64_t>(options_.num_rows, 0);
    for (auto& f : schema_->fields) header_.push_back(f.name);
  }

  void begin_batch(int64_t) override { rows_.clear(); }

  // Keeps the text of the first num_rows + 1 rows; the rest only matter as "more".
  void write(const Batch& batch) override {
    size_t wanted = static_cast<size_t>(options_.num_rows) + 1;
    for (size_t i = 0; i < batch.size() && rows_.size() < wanted; ++i) {
      uint32_t r = batch.row(i);
      std::vector<std::string>& cells = rows_.emplace_back();
      for (auto& column : batch.columns) {
        std::string text;
        append_value_text(*column, r, text);
        cells.push_back(std::move(text));
      }
    }
  }

  void commit(int64_t batch_id) override {
    std::string out;
    out += kBanner;
    out += "Batch: " + std::to_string(batch_id) + "\n";
    out += kBanner;
    out += show_string(header_, rows_, options_.num_rows, options_.truncate);
    out += '\n';  // Spark prints the table with println
    rows_.clear();
    write_all(options_.fd, out, "stdout");
  }

  std::string description() const override { return "ConsoleSink"; }

 private:
  SchemaRef schema_;
  ConsoleOptions options_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace

std::string show_string(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        int64_t num_rows, bool truncate) {
  size_t shown = std::min(rows.size(), static_cast<size_t>(std::max<int64_t>(num_rows, 0)));
  std::vector<std::vector<std::string>> table;
  table.reserve(shown + 1);
  std::vector<std::string>& names = table.emplace_back();
  for (auto& h : header) names.push_back(escape_meta(h));
  for (size_t r = 0; r < shown; ++r) {
    std::vector<std::string>& cells = table.emplace_back();
    for (auto& cell : rows[r]) {
      std::string text = escape_meta(cell);
      cells.push_back(truncate ? truncate_cell(std::move(text), kTruncateWidth) : std::move(text));
    }
  }
  std::vector<size_t> widths(header.size(), 3);  // Spark's minimum column width
  for (auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], half_width(row[c]));

  std::string sep = "+";
  for (size_t c = 0; c < widths.size(); ++c) {
    if (c) sep += '+';
    sep.append(widths[c], '-');
  }
  sep += "+\n";

  std::string out = sep;
  append_row(table[0], widths, truncate, out);
  out += sep;
  for (size_t r = 1; r < table.size(); ++r) append_row(table[r], widths, truncate, out);
  out += sep;
  if (rows.size() > shown) out += "only showing top " + std::to_string(shown) + (shown == 1 ? " row\n" : " rows\n");
  return out;
}

const config::OptionTable& console_sink_options() { return kOptions; }

std::unique_ptr<Sink> make_console_sink(SchemaRef schema, ConsoleOptions options) {
  return std::make_unique<ConsoleSink>(std::move(schema), options);
}

std::unique_ptr<Sink> create_console_sink(const SinkContext& ctx) {
  const config::Node& node = ctx.config.node;
  config::validate_options(node, {&kOptions}, {"type", "from", "output_mode"});
  ConsoleOptions o;
  if (auto n = node["num_rows"]; n.defined()) o.num_rows = n.integer();
  if (auto n = node["truncate"]; n.defined()) o.truncate = n.boolean();
  return make_console_sink(ctx.schema, o);
}

}  // namespace runnel
