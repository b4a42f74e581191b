#include <set>

#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;

TEST_CASE("the registry lists unique lower-case names, found case-insensitively") {
  std::set<std::string_view> seen;
  for (std::string_view name : scalar_function_names()) {
    CHECK_MESSAGE(seen.insert(name).second, "duplicate ", name);
    for (char c : name) CHECK_MESSAGE(!(c >= 'A' && c <= 'Z'), name);
    CHECK(find_scalar_function(name) != nullptr);
  }
  CHECK(find_scalar_function("Get_Json_Object") == find_scalar_function("get_json_object"));
  CHECK(find_scalar_function("no_such_function") == nullptr);
  // The contract's list (generators, window and aggregates live elsewhere).
  for (const char* name : {"coalesce",
                           "if",
                           "nullif",
                           "abs",
                           "round",
                           "floor",
                           "ceil",
                           "greatest",
                           "least",
                           "lower",
                           "upper",
                           "trim",
                           "length",
                           "substring",
                           "concat",
                           "concat_ws",
                           "split",
                           "regexp_extract",
                           "regexp_replace",
                           "get_json_object",
                           "to_timestamp",
                           "timestamp_seconds",
                           "timestamp_millis",
                           "unix_seconds",
                           "unix_millis",
                           "unix_micros",
                           "from_unixtime",
                           "unix_timestamp",
                           "date_trunc",
                           "date_format",
                           "current_timestamp",
                           "hash"})
    CHECK_MESSAGE(find_scalar_function(name) != nullptr, name);
}
