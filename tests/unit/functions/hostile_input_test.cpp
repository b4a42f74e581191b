// Random bytes and extreme arguments must give values or NULLs, never a
// crash or undefined behaviour (run under ASan/UBSan).
#include <random>

#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
std::vector<std::string> random_texts(size_t n, std::string_view alphabet) {
  std::mt19937 rng(42);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

ColumnRef column_of(const std::vector<std::string>& texts) {
  std::vector<std::optional<std::string_view>> views(texts.begin(), texts.end());
  return strings(views);
}
}  // namespace

TEST_CASE("random text through parsers and string functions") {
  const std::string bytes = [] {
    std::string all;
    for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
    return all;
  }();
  for (std::string_view alphabet :
       {std::string_view("0123456789-:. TZ+apmPMJanFeb'"),
        std::string_view("{}[]\",:0123456789.e-tfnul ab\\"), std::string_view(bytes)}) {
    auto texts = random_texts(500, alphabet);
    auto in = column_of(texts);
    size_t rows = texts.size();
    for (const char* pattern :
         {"yyyy-MM-dd HH:mm:ss", "yyyyMMddHHmmssSSS", "y-M-d h:m:s a XXX", "yy MMM dd E", "D 'T' x Z"})
      call("to_timestamp", {in, lit(pattern, rows)});
    call("to_timestamp", {in});
    call("to_date", {in});
    for (const char* path : {"$", "$.a", "$.a[0].b", "$[*].a", "$.a[*][*]"})
      call("get_json_object", {in, lit(path, rows)});
    call("get_json_object", {in, in});  // random paths too
    call("split", {in, lit("[:-]*", rows)});
    call("regexp_replace", {in, lit("(a|b)*", rows), lit("<$1>", rows)});
    call("regexp_extract", {in, in});  // random patterns, mostly invalid: NULL
    call("upper", {in});
    call("lower", {in});
    call("trim", {in, in});
    call("length", {in});
    call("hash", {in});
    call("unix_timestamp", {in, in});  // random patterns
    call("date_format", {column<TimestampT>(std::vector<Opt<TimestampT>>(rows, INT64_MIN)), in});
  }
}

TEST_CASE("extreme numeric arguments") {
  auto big = column<IntT>({INT32_MIN, INT32_MAX, 0, -1});
  auto s = strings({"abc", "日本", "", "x"});
  CHECK(texts_are(call("substring", {s, big, big}), {"", "", "", ""}));
  call("substring", {s, big});
  call("element_at", {string_arrays({{{"a"}}, {{"b"}}, {{}}, std::nullopt}), big});
  auto longs = column<LongT>({INT64_MIN, INT64_MAX, 0, -1});
  call("timestamp_seconds", {longs});
  call("timestamp_millis", {longs});
  call("from_unixtime", {longs});
  call("abs", {longs});
  call("mod", {longs, longs});
  call("pmod", {longs, column<LongT>({-1, -1, 7, INT64_MIN})});
  auto ts = column<TimestampT>({INT64_MIN, INT64_MAX, 0, -1});
  for (const char* unit : {"year", "quarter", "month", "week", "day", "hour", "second"})
    call("date_trunc", {lit(unit, 4), ts});
  call("date_format", {ts, lit("yyyy-MM-dd HH:mm:ss.SSSSSS EEEE MMMM QQQQ a", 4)});
  call("unix_seconds", {ts});
  call("year", {column<DateT>({INT32_MIN, INT32_MAX, 0, -1})});
  call("round", {column<DoubleT>({1e308, -1e-308, 5e-324, NAN}), lit_int(300, 4)});
  call("round", {column<DoubleT>({1e308, -1e-308, 5e-324, NAN}), lit_int(-300, 4)});
  call("round", {longs, lit_int(-18, 4)});
  call("floor", {column<DoubleT>({1e300, -1e300, NAN, -0.5})});
  CHECK(column_is<TimestampT>(
      call("to_timestamp", {strings({"9999999999999999999-01-01"}), lit("yyyy-MM-dd", 1)}), {std::nullopt}));
}
