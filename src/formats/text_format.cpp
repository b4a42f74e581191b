// The text format, as Spark's: reading gives one `value: string` row per
// line (a trailing "\r" stripped, empty lines kept, a last line without a
// newline included); writing needs exactly one string column and writes its
// values one per line (a null as an empty line).
#include <cstring>

#include "base/error.hpp"
#include "formats/row_batcher.hpp"

namespace runnel {

namespace {

class TextReader final : public RecordReader {
 public:
  TextReader(SchemaRef schema, BadRecords& bad, size_t rows_per_batch) : rows_(std::move(schema), bad, rows_per_batch) {
    if (rows_.data_columns().size() != 1 || rows_.schema()[rows_.data_columns()[0]].type.id != TypeId::String)
      fail(ErrorKind::Config, "text format reads one string column, got " + rows_.schema().to_string());
  }

  size_t complete_prefix(std::string_view data) const override {
    size_t last = data.rfind('\n');
    return last == std::string_view::npos ? 0 : last + 1;
  }

  void parse(std::string_view data, const Origin& origin, const Emit& out) override {
    size_t value = rows_.data_columns()[0];
    size_t pos = 0;
    while (pos < data.size()) {
      const char* nl = static_cast<const char*>(std::memchr(data.data() + pos, '\n', data.size() - pos));
      size_t end = nl ? static_cast<size_t>(nl - data.data()) : data.size();
      std::string_view line = data.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      rows_.column(value).append_string(line);
      rows_.end_row(out);
      pos = end + 1;
    }
    rows_.flush(out);
  }

 private:
  RowBatcher rows_;
};

class TextWriter final : public RecordWriter {
 public:
  void write(const Batch& batch, AlignedBytes& out) override {
    const Column& column = *batch.columns[0];
    for (size_t r = 0; r < batch.size(); ++r) {
      uint32_t row = batch.row(r);
      if (column.is_valid(row)) out.append(column.data<std::string_view>()[row]);
      out.push_back('\n');
    }
  }
};

}  // namespace

std::unique_ptr<RecordReader> make_text_reader(SchemaRef schema, BadRecords& bad, size_t rows_per_batch) {
  return std::make_unique<TextReader>(std::move(schema), bad, rows_per_batch);
}

std::unique_ptr<RecordWriter> make_text_writer(SchemaRef schema) {
  if (schema->size() != 1 || (*schema)[0].type.id != TypeId::String)
    fail(ErrorKind::Config, "text format needs exactly one string column, got " +
                                (schema->size() ? schema->to_string() : std::string("no columns")));
  return std::make_unique<TextWriter>();
}

}  // namespace runnel
