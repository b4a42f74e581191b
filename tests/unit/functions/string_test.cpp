#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

TEST_CASE("lower and upper map Unicode letters") {
  auto in = strings({"Hello", "ÀÉÎ straße", "", std::nullopt, "ǅ1"});
  CHECK(texts_are(call("lower", {in}), {"hello", "àéî straße", "", std::nullopt, "ǆ1"}));
  CHECK(texts_are(call("upper", {in}), {"HELLO", "ÀÉÎ STRASSE", "", std::nullopt, "Ǆ1"}));
  // Java's full mappings: final sigma, dotted capital I; invalid UTF-8 passes through.
  CHECK(texts_are(call("lower", {strings({"ΟΔΟΣ ΣΑ", "İ",
                                          "A\xff\xc3"
                                          "B"})}),
                  {"οδος σα", "i\u0307",
                   "a\xff\xc3"
                   "b"}));
  CHECK(texts_are(call("upper", {strings({"ȿ"})}), {"Ȿ"}));
}

TEST_CASE("trim removes spaces only") {
  auto in = strings({"  a b  ", "\ta\t", "", "   ", std::nullopt});
  CHECK(texts_are(call("trim", {in}), {"a b", "\ta\t", "", "", std::nullopt}));
  CHECK(texts_are(call("ltrim", {in}), {"a b  ", "\ta\t", "", "", std::nullopt}));
  CHECK(texts_are(call("rtrim", {in}), {"  a b", "\ta\t", "", "", std::nullopt}));
  // trim(trimStr, str), as TRIM(BOTH trimStr FROM str); btrim(str, trimStr).
  CHECK(texts_are(call("trim", {strings({"SL", "é"}), strings({"SSparkSQLS", "éaé"})}), {"parkSQ", "a"}));
  CHECK(texts_are(call("ltrim", {strings({"SL"}), strings({"SSparkSQLS"})}), {"parkSQLS"}));
  CHECK(texts_are(call("rtrim", {strings({"SL"}), strings({"SSparkSQLS"})}), {"SSparkSQ"}));
  CHECK(texts_are(call("btrim", {strings({"SSparkSQLS"}), strings({"SL"})}), {"parkSQ"}));
  CHECK(texts_are(call("btrim", {strings({"  x "})}), {"x"}));
}

TEST_CASE("length counts characters") {
  CHECK(column_is<IntT>(call("length", {strings({"abc", "日本語", "", std::nullopt})}),
                        {3, 3, 0, std::nullopt}));
  CHECK(column_is<IntT>(call("length", {column<BinaryT>({"日本"})}), {6}));
  CHECK(bind("length", {column<IntT>({123})}).args[0] == DataType::of(TypeId::String));
}

TEST_CASE("substring follows UTF8String.substringSQL") {
  auto s = strings({"Spark SQL"});
  auto sub = [&](int pos, std::optional<int> len) {
    std::vector<Input> in{s, lit_int(pos, 1)};
    if (len) in.push_back(lit_int(*len, 1));
    return *texts(call("substring", in))[0];
  };
  CHECK(sub(5, std::nullopt) == "k SQL");
  CHECK(sub(-3, std::nullopt) == "SQL");
  CHECK(sub(5, 1) == "k");
  CHECK(sub(0, 3) == "Spa");
  CHECK(sub(1, 3) == "Spa");
  CHECK(sub(-100, 3) == "");
  CHECK(sub(-11, 4) == "Sp");  // start 9-11 = -2: end 2, clamped start 0
  CHECK(sub(100, 1) == "");
  CHECK(sub(2, -1) == "");
  CHECK(sub(2, 0) == "");
  CHECK(sub(3, INT32_MAX) == "ark SQL");
  CHECK(texts_are(call("substr", {strings({"日本語テキスト", std::nullopt}), lit_int(2, 2), lit_int(2, 2)}),
                  {"本語", std::nullopt}));
  CHECK(texts_are(call("substr", {strings({"abc"}), lit_int(-1, 1)}), {"c"}));
  CHECK(bind_error("substring", {s}) == "substring expects 2 or 3 arguments, got 1");
}

TEST_CASE("concat is NULL if any argument is") {
  auto out =
      call("concat", {strings({"a", "a", ""}), strings({"b", std::nullopt, ""}), strings({"c", "c", "é"})});
  CHECK(texts_are(out, {"abc", std::nullopt, "é"}));
}

TEST_CASE("concat of arrays") {
  using L = std::vector<std::optional<std::string_view>>;
  auto a = string_arrays({L{"a"}, L{}, std::nullopt});
  auto b = string_arrays({L{"b", std::nullopt}, L{"c"}, L{"d"}});
  using Row = std::vector<OptString>;
  CHECK(string_lists(call("concat", {a, b})) ==
        std::vector<std::optional<Row>>{Row{"a", "b", std::nullopt}, Row{"c"}, std::nullopt});
}

TEST_CASE("concat_ws skips NULLs and flattens arrays") {
  using L = std::vector<std::optional<std::string_view>>;
  auto sep = strings({",", ",", std::nullopt, "-"});
  auto a = strings({"a", std::nullopt, "a", std::nullopt});
  auto arr = string_arrays({L{"x", std::nullopt, "y"}, L{}, L{"z"}, std::nullopt});
  auto out = call("concat_ws", {sep, a, arr});
  CHECK(texts_are(out, {"a,x,y", "", std::nullopt, ""}));
  CHECK(texts_are(call("concat_ws", {strings({"/"})}), {""}));
}

TEST_CASE("replace, lpad, rpad, instr") {
  CHECK(texts_are(call("replace", {strings({"ABCabc", "aaa", "x"}), strings({"abc", "a", ""}),
                                   strings({"DEF", "bb", "y"})}),
                  {"ABCDEF", "bbbbbb", "x"}));
  CHECK(texts_are(call("replace", {strings({"ABCabc"}), strings({"abc"})}), {"ABC"}));
  auto s = strings({"hi", "hi", "hello", "日本", std::nullopt});
  auto len = column<IntT>({5, 1, 3, 4, 5});
  CHECK(texts_are(call("lpad", {s, len, strings({"??", "?", "x", "語", "?"})}),
                  {"???hi", "h", "hel", "語語日本", std::nullopt}));
  CHECK(texts_are(call("rpad", {s, len}), {"hi   ", "h", "hel", "日本  ", std::nullopt}));
  CHECK(texts_are(call("lpad", {strings({"hi", "hi"}), column<IntT>({-1, 5}), strings({"x", ""})}),
                  {"", "hi"}));
  CHECK(column_is<IntT>(
      call("instr", {strings({"SparkSQL", "日本語", "abc", "abc"}), strings({"SQL", "語", "", "z"})}),
      {6, 3, 1, 0}));
}

TEST_CASE("startswith, endswith, contains") {
  auto a = strings({"Spark", "Spark", std::nullopt, "Spark"});
  auto b = strings({"Sp", "", "x", "rk"});
  CHECK(column_is<BoolT>(call("startswith", {a, b}), {true, true, std::nullopt, false}));
  CHECK(column_is<BoolT>(call("endswith", {a, b}), {false, true, std::nullopt, true}));
  CHECK(column_is<BoolT>(call("contains", {a, b}), {true, true, std::nullopt, true}));
}
