// The practical limit for the aggregation benchmark: simdjson On-Demand
// alone walking every record of an NDJSON file and touching each field
// (ts as a raw string, key as a string, value as a double) — no columns, no
// aggregation. Prints the record count and the parse time (the file is
// loaded into memory first and not timed).   simdjson_parse FILE
#include <chrono>
#include <cstdio>

#include <simdjson.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: simdjson_parse FILE\n");
    return 64;
  }
  simdjson::padded_string json;
  if (simdjson::padded_string::load(argv[1]).get(json)) {
    std::fprintf(stderr, "simdjson_parse: cannot read %s\n", argv[1]);
    return 66;
  }
  const auto start = std::chrono::steady_clock::now();
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream records;
  if (parser.iterate_many(json, size_t{1} << 20).get(records)) return 65;
  size_t count = 0, checksum = 0;
  for (auto record : records) {
    simdjson::ondemand::object object;
    if (record.get_object().get(object)) return 65;
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return 65;
      auto value = field.value();
      if (key == "value") {
        double v;
        if (value.get_double().get(v)) return 65;
        checksum += static_cast<size_t>(v);
      } else {
        std::string_view text;
        if (value.get_string().get(text)) return 65;
        checksum += text.size();
      }
    }
    ++count;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu records in %.3f s of parsing (checksum %zu)\n", count, seconds, checksum);
  return 0;
}
