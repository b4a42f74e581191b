// Format options as data (they drive validation, --help, the man page and the
// JSON Schema) and the factories that read them from a pipeline node.
#include "formats/format.hpp"

#include "base/error.hpp"

namespace runnel {

namespace {

using config::Node;
using config::OptionSpec;
using config::OptionTable;
using config::OptionType;

const OptionSpec kCsvOptions[] = {
    {"header", OptionType::Bool, "csv: the first line of each file names the columns (skipped on read, written on write)",
     "false"},
    {"delimiter", OptionType::String, "csv: the field separator, one character (\\t for a tab)", ","},
    {"quote", OptionType::String, "csv: the quote character; empty disables quoting", "\""},
    {"escape", OptionType::String, "csv: the character escaping a quote inside a quoted field", "\\"},
    {"null_value", OptionType::String, "csv: the text of a null value", ""},
};

// One character of a csv option; "" gives '\0' (off) where allowed, "\t" a tab.
char csv_char(const Node& node, char fallback, bool may_be_empty) {
  if (!node.defined()) return fallback;
  std::string text = node.str();
  if (text == "\\t") return '\t';
  if (text.empty() && may_be_empty) return '\0';
  if (text.size() != 1) node.fail("expected a single character, got '" + text + "'");
  return text[0];
}

CsvOptions read_csv_options(const Node& node) {
  CsvOptions options;
  if (node["header"].defined()) options.header = node["header"].boolean();
  options.delimiter = csv_char(node["delimiter"], options.delimiter, false);
  options.quote = csv_char(node["quote"], options.quote, true);
  options.escape = csv_char(node["escape"], options.escape, true);
  if (node["null_value"].defined()) options.null_value = node["null_value"].str();
  return options;
}

DataType read_type(const Node& node, const std::string& column) {
  std::string text = node.str();
  auto type = parse_type_name(text);
  if (!type)
    node.fail("unknown type '" + text + "' for column '" + column +
              "' (expected boolean, int, long, float, double, string, timestamp, date, binary, array<T> or "
              "struct<...>)");
  return *type;
}

}  // namespace

const config::OptionTable& reader_options() {
  static const OptionTable table = [] {
    OptionTable t = {
        {"format", OptionType::Choice, "how records are encoded", "", true, {"json", "csv", "text"}},
        {"schema", OptionType::Schema, "the columns: a {name: type} map or a DDL string \"name TYPE, ...\" (text: "
                                       "fixed value: string)"},
        {"mode", OptionType::Choice, "what a malformed record does", "permissive", false,
         {"permissive", "drop_malformed", "fail_fast"}},
        {"dead_letter", OptionType::Path, "append every malformed record, with its reason and position, as JSON lines"},
        {"timestamp_unit", OptionType::Choice, "json: unit of numbers read into timestamp columns", "ms", false,
         {"s", "ms", "us"}},
    };
    t.insert(t.end(), std::begin(kCsvOptions), std::end(kCsvOptions));
    return t;
  }();
  return table;
}

const config::OptionTable& writer_options() {
  static const OptionTable table(std::begin(kCsvOptions), std::end(kCsvOptions));
  return table;
}

Schema read_schema(const config::Node& source_node) {
  std::string format = source_node.required("format").choice({"json", "csv", "text"});
  Node node = source_node["schema"];
  if (format == "text") {
    if (node.defined()) node.fail("the text format has the fixed schema 'value: string'; remove 'schema'");
    return Schema{{{"value", DataType::of(TypeId::String)}}};
  }
  node = source_node.required("schema");
  if (node.is_scalar()) return parse_ddl_schema(node.str(), node.where() + ": " + node.path());
  if (!node.is_map()) node.fail("expected a {name: type} map or a DDL string \"name TYPE, ...\"");
  Schema schema;
  for (auto& [name, type_node] : node.entries()) {
    if (schema.find(name)) type_node.fail("column '" + name + "' is declared twice");
    schema.fields.push_back({name, read_type(type_node, name)});
  }
  if (schema.fields.empty()) node.fail("empty schema");
  return schema;
}

std::unique_ptr<RecordReader> make_reader(const config::Node& source_node, SchemaRef schema, BadRecords& bad) {
  Node format_node = source_node.required("format");
  std::string format = format_node.choice({"json", "csv", "text"});
  try {
    if (format == "csv") return make_csv_reader(std::move(schema), bad, read_csv_options(source_node));
    if (format == "text") return make_text_reader(std::move(schema), bad);
    TimestampUnit unit = TimestampUnit::Millis;
    if (Node u = source_node["timestamp_unit"]; u.defined()) {
      std::string text = u.choice({"s", "ms", "us"});
      unit = text == "s" ? TimestampUnit::Seconds : text == "us" ? TimestampUnit::Micros : TimestampUnit::Millis;
    }
    return make_json_reader(std::move(schema), bad, unit);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Config) throw;
    format_node.fail(e.what());  // a schema the format cannot read: point at the source
  }
}

std::unique_ptr<BadRecords> make_bad_records(const config::Node& source_node, const std::string& source_name,
                                             const std::function<std::string(const std::string&)>& resolve) {
  ParseMode mode = ParseMode::Permissive;
  if (Node m = source_node["mode"]; m.defined()) {
    std::string text = m.choice({"permissive", "drop_malformed", "fail_fast"});
    mode = text == "fail_fast" ? ParseMode::FailFast
           : text == "drop_malformed" ? ParseMode::DropMalformed
                                      : ParseMode::Permissive;
  }
  std::string dead_letter;
  if (Node d = source_node["dead_letter"]; d.defined()) dead_letter = resolve(d.str());
  return std::make_unique<BadRecords>(source_name, mode, std::move(dead_letter));
}

std::unique_ptr<RecordWriter> make_writer(const config::Node& sink_node, std::string_view format, SchemaRef schema) {
  try {
    if (format == "json") return make_json_writer(std::move(schema));
    if (format == "csv") return make_csv_writer(std::move(schema), read_csv_options(sink_node));
    if (format == "text") return make_text_writer(std::move(schema));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Config) throw;
    sink_node["format"].fail(e.what());
  }
  sink_node["format"].fail("unknown format '" + std::string(format) + "' (expected json, csv or text)");
}

}  // namespace runnel
