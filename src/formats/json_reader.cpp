// make_json_reader: picks the JSON reader compiled for the best simdjson
// kernel this CPU runs. simdjson's On-Demand API is compiled for one
// instruction set, chosen at compile time from the target flags; the x86-64-v2
// baseline would give the scalar fallback, several times slower. So the
// reader is compiled three times (this file: the build's own choice;
// json_reader_haswell.cpp: AVX2; json_reader_westmere.cpp: SSE4.2+PCLMUL),
// each in its own namespace, and simdjson's runtime CPU detection picks one.
#define RUNNEL_JSON_KERNEL json_builtin
#include "formats/json_reader_kernel.inc"

namespace runnel {

#if defined(__x86_64__)
namespace json_haswell {
std::unique_ptr<RecordReader> make_reader(SchemaRef schema, BadRecords& bad, TimestampUnit unit, size_t rows_per_batch);
}
namespace json_westmere {
std::unique_ptr<RecordReader> make_reader(SchemaRef schema, BadRecords& bad, TimestampUnit unit, size_t rows_per_batch);
}
#endif

std::unique_ptr<RecordReader> make_json_reader(SchemaRef schema, BadRecords& bad, TimestampUnit unit,
                                               size_t rows_per_batch) {
#if defined(__x86_64__)
  static const std::string kernel(simdjson::get_active_implementation()->name());
  if (kernel == "icelake" || kernel == "haswell")
    return json_haswell::make_reader(std::move(schema), bad, unit, rows_per_batch);
  if (kernel == "westmere") return json_westmere::make_reader(std::move(schema), bad, unit, rows_per_batch);
#endif
  return json_builtin::make_reader(std::move(schema), bad, unit, rows_per_batch);
}

}  // namespace runnel
