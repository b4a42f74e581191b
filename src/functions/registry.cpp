// The scalar function registry: ONE explicit list of every function name and
// its bind function (defined in the category files: conditional.cpp,
// math.cpp, string.cpp, regex.cpp, json.cpp, datetime.cpp, hash.cpp, array.cpp).
// Aliases are rows sharing a bind function.
#include <algorithm>
#include <cctype>

#include "functions/function.hpp"

#define RUNNEL_SCALAR_FUNCTIONS(X)               \
  /* conditional */                              \
  X("coalesce", bind_coalesce)                   \
  X("nvl", bind_nvl)                             \
  X("ifnull", bind_nvl)                          \
  X("if", bind_if)                               \
  X("nullif", bind_nullif)                       \
  X("greatest", bind_greatest)                   \
  X("least", bind_least)                         \
  /* math */                                     \
  X("abs", bind_abs)                             \
  X("round", bind_round)                         \
  X("floor", bind_floor)                         \
  X("ceil", bind_ceil)                           \
  X("ceiling", bind_ceil)                        \
  X("sqrt", bind_sqrt)                           \
  X("exp", bind_exp)                             \
  X("ln", bind_ln)                               \
  X("log", bind_log)                             \
  X("log10", bind_log10)                         \
  X("log2", bind_log2)                           \
  X("pow", bind_pow)                             \
  X("power", bind_pow)                           \
  X("sign", bind_signum)                         \
  X("signum", bind_signum)                       \
  X("mod", bind_mod)                             \
  X("pmod", bind_pmod)                           \
  /* string */                                   \
  X("lower", bind_lower)                         \
  X("lcase", bind_lower)                         \
  X("upper", bind_upper)                         \
  X("ucase", bind_upper)                         \
  X("trim", bind_trim)                           \
  X("ltrim", bind_ltrim)                         \
  X("rtrim", bind_rtrim)                         \
  X("btrim", bind_btrim)                         \
  X("length", bind_length)                       \
  X("char_length", bind_length)                  \
  X("character_length", bind_length)             \
  X("substring", bind_substring)                 \
  X("substr", bind_substring)                    \
  X("concat", bind_concat)                       \
  X("concat_ws", bind_concat_ws)                 \
  X("replace", bind_replace)                     \
  X("lpad", bind_lpad)                           \
  X("rpad", bind_rpad)                           \
  X("instr", bind_instr)                         \
  X("startswith", bind_startswith)               \
  X("endswith", bind_endswith)                   \
  X("contains", bind_contains)                   \
  /* regex */                                    \
  X("split", bind_split)                         \
  X("regexp_extract", bind_regexp_extract)       \
  X("regexp_replace", bind_regexp_replace)       \
  X("rlike", bind_rlike)                         \
  X("regexp", bind_rlike)                        \
  X("regexp_like", bind_rlike)                   \
  /* datetime */                                 \
  X("to_timestamp", bind_to_timestamp)           \
  X("to_date", bind_to_date)                     \
  X("timestamp_seconds", bind_timestamp_seconds) \
  X("timestamp_millis", bind_timestamp_millis)   \
  X("timestamp_micros", bind_timestamp_micros)   \
  X("unix_seconds", bind_unix_seconds)           \
  X("unix_millis", bind_unix_millis)             \
  X("unix_micros", bind_unix_micros)             \
  X("from_unixtime", bind_from_unixtime)         \
  X("unix_timestamp", bind_unix_timestamp)       \
  X("to_unix_timestamp", bind_unix_timestamp)    \
  X("date_format", bind_date_format)             \
  X("date_trunc", bind_date_trunc)               \
  X("window_time", bind_window_time)             \
  X("trunc", bind_trunc)                         \
  X("current_timestamp", bind_current_timestamp) \
  X("now", bind_current_timestamp)               \
  X("current_date", bind_current_date)           \
  X("year", bind_year)                           \
  X("quarter", bind_quarter)                     \
  X("month", bind_month)                         \
  X("dayofmonth", bind_dayofmonth)               \
  X("day", bind_dayofmonth)                      \
  X("dayofweek", bind_dayofweek)                 \
  X("dayofyear", bind_dayofyear)                 \
  X("hour", bind_hour)                           \
  X("minute", bind_minute)                       \
  X("second", bind_second)                       \
  X("date_add", bind_date_add)                   \
  X("date_sub", bind_date_sub)                   \
  X("datediff", bind_datediff)                   \
  /* json */                                     \
  X("get_json_object", bind_get_json_object)     \
  /* array */                                    \
  X("size", bind_size)                           \
  X("cardinality", bind_size)                    \
  X("element_at", bind_element_at)               \
  X("array_contains", bind_array_contains)       \
  /* hash */                                     \
  X("hash", bind_hash)

namespace runnel::fn {

#define RUNNEL_DECLARE_BIND(name, bind) Signature bind(const std::vector<Arg>& args);
RUNNEL_SCALAR_FUNCTIONS(RUNNEL_DECLARE_BIND)
#undef RUNNEL_DECLARE_BIND

namespace {

#define RUNNEL_FUNCTION_ENTRY(name, bind) ScalarFunction{name, bind},
constexpr ScalarFunction kFunctions[] = {RUNNEL_SCALAR_FUNCTIONS(RUNNEL_FUNCTION_ENTRY)};
#undef RUNNEL_FUNCTION_ENTRY

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const ScalarFunction* find_scalar_function(std::string_view name) {
  for (const ScalarFunction& f : kFunctions)
    if (equals_ignore_case(f.name, name)) return &f;
  return nullptr;
}

std::vector<std::string_view> scalar_function_names() {
  std::vector<std::string_view> names;
  for (const ScalarFunction& f : kFunctions) names.push_back(f.name);
  return names;
}

}  // namespace runnel::fn
