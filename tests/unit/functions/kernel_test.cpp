// Column loops across validity-word boundaries (more than 64 rows).
#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

TEST_CASE("null masks combine across 64-row words") {
  const size_t rows = 200;
  std::vector<Opt<IntT>> a, b;
  std::vector<std::optional<std::string_view>> s, t;
  for (size_t i = 0; i < rows; ++i) {
    a.push_back(i % 3 == 0 ? Opt<IntT>() : Opt<IntT>(-static_cast<int32_t>(i)));
    b.push_back(i % 5 == 0 ? Opt<IntT>() : Opt<IntT>(static_cast<int32_t>(i)));
    s.push_back(i % 7 == 0 ? std::nullopt : std::optional<std::string_view>("x"));
    t.push_back(i % 2 == 0 ? std::nullopt : std::optional<std::string_view>("y"));
  }
  auto abs = values<IntT>(call("abs", {column<IntT>(a)}));
  auto mod = values<IntT>(call("mod", {column<IntT>(a), column<IntT>(b)}));
  auto coalesce = values<IntT>(call("coalesce", {column<IntT>(a), column<IntT>(b)}));
  auto concat = texts(call("concat", {strings(s), strings(t)}));
  auto upper = texts(call("upper", {strings(s)}));
  for (size_t i = 0; i < rows; ++i) {
    CHECK(abs[i] == (a[i] ? Opt<IntT>(-*a[i]) : Opt<IntT>()));
    CHECK(mod[i].has_value() == (a[i] && b[i] && *b[i] != 0));
    CHECK(coalesce[i] == (a[i] ? a[i] : b[i]));
    CHECK(concat[i] == (s[i] && t[i] ? OptString("xy") : OptString()));
    CHECK(upper[i] == (s[i] ? OptString("X") : OptString()));
  }
}

TEST_CASE("string results outlive their inputs") {
  ColumnRef out;
  {
    auto in = strings({"  keep me  ", "abc"});
    out = call("trim", {in});  // views into the input's arena
  }
  CHECK(texts_are(out, {"keep me", "abc"}));
}
