// libFuzzer target: the csv reader must never crash on any input (errors are fine).
#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "formats/format.hpp"

using namespace runnel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SchemaRef schema = std::make_shared<const Schema>(parse_ddl_schema(
      "s STRING, i INT, l LONG, d DOUBLE, b BOOLEAN, t TIMESTAMP, dt DATE, bin BINARY, _corrupt_record STRING"
      , "fuzz"));
  std::string buffer(reinterpret_cast<const char*>(data), size);
  buffer.append(kReadPadding, '\0');
  std::string_view input(buffer.data(), size);
  BadRecords bad("fuzz", ParseMode::Permissive, "");
  auto reader = make_csv_reader(schema, bad, CsvOptions{}, 3);
  size_t rows = 0;
  reader->parse(input.substr(0, reader->complete_prefix(input)), Origin{"fuzz", 1, 0}, [&](Batch& b) { rows += b.num_rows; });
  reader->parse(input, Origin{"fuzz", 1, 0}, [&](Batch& b) { rows += b.num_rows; });
  return 0;
}
