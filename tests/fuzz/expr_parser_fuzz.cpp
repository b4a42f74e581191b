// Parses and binds arbitrary text against a fixed schema, then evaluates the
// result over a small batch. Errors (runnel::Error) are expected; crashes,
// sanitizer reports and other exceptions are bugs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "expr/expression.hpp"

namespace {

const runnel::Schema& schema() {
  static const runnel::Schema s = runnel::parse_ddl_schema(
      "user STRING, url STRING, ts TIMESTAMP, bytes BIGINT, n INT, d DOUBLE, ok BOOLEAN, day DATE, "
      "tags ARRAY<STRING>, win STRUCT<start: TIMESTAMP, end: TIMESTAMP>",
      "fuzz");
  return s;
}

runnel::Batch sample_batch() {
  using namespace runnel;
  Batch b = Batch::builder(std::make_shared<Schema>(schema()), 3);
  for (int row = 0; row < 3; ++row)
    for (auto& c : b.columns) {
      if (row == 1) {
        c->append_null();
        continue;
      }
      switch (c->id()) {
        case TypeId::String: c->append_string(row ? "/checkout" : ""); break;
        case TypeId::Timestamp:
        case TypeId::Long: c->append<int64_t>(row ? -1 : INT64_MAX); break;
        case TypeId::Int:
        case TypeId::Date: c->append<int32_t>(row ? INT32_MIN : 7); break;
        case TypeId::Double: c->append<double>(row ? -0.0 : 1e300); break;
        case TypeId::Boolean: c->append<uint8_t>(1); break;
        case TypeId::Array:
          c->children()[0]->append_string("a");
          c->end_array();
          break;
        default: c->append_null();
      }
    }
  b.num_rows = 3;
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const runnel::Batch batch = sample_batch();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  runnel::expr::BindOptions options;
  options.allow_generator = true;
  try {
    auto e = runnel::expr::compile(text, schema(), "fuzz", options);
    auto column = e->evaluate(batch, runnel::expr::EvalContext{0});
    if (column->size() != batch.num_rows) __builtin_trap();
  } catch (const runnel::Error&) {
  }
  return 0;
}
