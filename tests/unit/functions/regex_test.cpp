#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
using List = std::vector<OptString>;
std::vector<std::optional<List>> split(std::vector<std::optional<std::string_view>> s, std::string_view re,
                                       std::optional<int> limit = std::nullopt) {
  std::vector<Input> in{strings(s), lit(re, s.size())};
  if (limit) in.push_back(lit_int(*limit, s.size()));
  return string_lists(call("split", in));
}
}  // namespace

TEST_CASE("split keeps trailing empty strings like Spark") {
  CHECK(split({"oneAtwoBthreeC"}, "[ABC]") ==
        std::vector<std::optional<List>>{List{"one", "two", "three", ""}});
  CHECK(split({"oneAtwoBthreeC"}, "[ABC]", 2) == std::vector<std::optional<List>>{List{"one", "twoBthreeC"}});
  CHECK(split({"oneAtwoBthreeC"}, "[ABC]", 0) ==
        std::vector<std::optional<List>>{List{"one", "two", "three", ""}});
  CHECK(split({"a,b,,"}, ",") == std::vector<std::optional<List>>{List{"a", "b", "", ""}});
  CHECK(split({",a"}, ",") == std::vector<std::optional<List>>{List{"", "a"}});
  CHECK(split({""}, ",") == std::vector<std::optional<List>>{List{""}});
  CHECK(split({"abc"}, "x") == std::vector<std::optional<List>>{List{"abc"}});
  CHECK(split({"abc"}, ",", 1) == std::vector<std::optional<List>>{List{"abc"}});
  CHECK(split({std::nullopt}, ",") == std::vector<std::optional<List>>{std::nullopt});
}

TEST_CASE("split on an empty or zero-width pattern") {
  CHECK(split({"日本語"}, "") == std::vector<std::optional<List>>{List{"日", "本", "語"}});
  CHECK(split({"abc"}, "", 2) == std::vector<std::optional<List>>{List{"a", "bc"}});
  CHECK(split({""}, "") == std::vector<std::optional<List>>{List{""}});
  CHECK(split({"abc"}, "x*") == std::vector<std::optional<List>>{List{"a", "b", "c", ""}});
}

TEST_CASE("regexp_extract") {
  auto s = strings({"100-200", "foo", std::nullopt, "x-"});
  CHECK(texts_are(call("regexp_extract", {s, lit("(\\d+)-(\\d+)", 4), lit_int(1, 4)}),
                  {"100", "", std::nullopt, ""}));
  CHECK(texts_are(call("regexp_extract", {s, lit("(\\d+)-(\\d+)", 4), lit_int(2, 4)}),
                  {"200", "", std::nullopt, ""}));
  CHECK(texts_are(call("regexp_extract", {s, lit("(\\d+)-(\\d+)", 4)}), {"100", "", std::nullopt, ""}));
  CHECK(texts_are(call("regexp_extract", {s, lit("(\\d+)-(\\d+)", 4), lit_int(0, 4)}),
                  {"100-200", "", std::nullopt, ""}));
  CHECK(texts_are(call("regexp_extract", {strings({"b"}), lit("(a)|b", 1), lit_int(1, 1)}), {""}));
  CHECK(bind_error("regexp_extract", {s, lit("(\\d+)", 4), lit_int(2, 4)}) ==
        "regexp_extract: regex group count is 1, but the specified group index is 2");
  CHECK(bind_error("regexp_extract", {s, lit("(", 4)})
            .starts_with("regexp_extract: invalid regular expression '('"));
  // A non-literal pattern compiles per row; an invalid one gives NULL.
  CHECK(texts_are(call("regexp_extract", {strings({"a1", "b2"}), strings({"([a-z])", "("})}),
                  {"a", std::nullopt}));
}

TEST_CASE("regexp_replace") {
  auto s = strings({"100-200", "", std::nullopt, "abc"});
  CHECK(texts_are(call("regexp_replace", {s, lit("(\\d+)", 4), lit("num", 4)}),
                  {"num-num", "", std::nullopt, "abc"}));
  CHECK(texts_are(call("regexp_replace", {s, lit("(\\d+)-(\\d+)", 4), lit("$2/$1 \\$", 4)}),
                  {"200/100 $", "", std::nullopt, "abc"}));
  CHECK(texts_are(call("regexp_replace", {strings({"abc", "a"}), lit("b*", 2), lit("-", 2)}),
                  {"-a--c-", "-a-"}));
  CHECK(texts_are(
      call("regexp_replace", {strings({"aaa", "aaa"}), lit("a", 2), lit("b", 2), column<IntT>({2, 9})}),
      {"abb", "aaa"}));
  CHECK(texts_are(call("regexp_replace", {strings({"日本日"}), lit("日", 1), lit("x", 1)}), {"x本x"}));
  CHECK(bind_error("regexp_replace", {s, lit("(a)", 4), lit("$2", 4)}) ==
        "regexp_replace: illegal group reference in replacement '$2'");
}

TEST_CASE("rlike") {
  CHECK(column_is<BoolT>(call("rlike", {strings({"abc", "xyz", std::nullopt}), lit("^a", 3)}),
                         {true, false, std::nullopt}));
}
