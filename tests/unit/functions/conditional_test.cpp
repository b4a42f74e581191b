#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

TEST_CASE("coalesce picks the first non-null, widening to the common type") {
  auto a = column<IntT>({std::nullopt, 1, std::nullopt});
  auto b = column<LongT>({5, 6, std::nullopt});
  Signature sig = bind("coalesce", {a, b});
  CHECK(sig.result == DataType::of(TypeId::Long));
  CHECK(sig.args[0] == DataType::of(TypeId::Long));
  auto la = column<LongT>({std::nullopt, 1, std::nullopt});
  CHECK(column_is<LongT>(call("COALESCE", {la, b}), {5, 1, std::nullopt}));
  CHECK(texts_are(call("coalesce", {strings({std::nullopt, "x"}), strings({"y", "z"})}), {"y", "x"}));
  CHECK(bind_error("coalesce", {}) == "coalesce expects at least 1 argument, got 0");
}

TEST_CASE("coalesce of arrays copies nested rows") {
  auto a = string_arrays({std::nullopt, std::vector<std::optional<std::string_view>>{"a", std::nullopt}});
  auto b = string_arrays({std::vector<std::optional<std::string_view>>{"b"}, std::nullopt});
  auto out = call("coalesce", {a, b});
  using Row = std::vector<OptString>;
  CHECK(string_lists(out) == std::vector<std::optional<Row>>{Row{"b"}, Row{"a", std::nullopt}});
}

TEST_CASE("nvl and ifnull take exactly two arguments") {
  CHECK(column_is<IntT>(call("nvl", {column<IntT>({std::nullopt, 1}), column<IntT>({2, 3})}), {2, 1}));
  CHECK(column_is<IntT>(call("ifnull", {column<IntT>({std::nullopt}), column<IntT>({2})}), {2}));
  CHECK(bind_error("nvl", {column<IntT>({1})}) == "nvl expects 2 arguments, got 1");
}

TEST_CASE("if takes the else branch for a NULL condition") {
  auto cond = column<BoolT>({true, false, std::nullopt});
  auto out = call("if", {cond, strings({"t", "t", "t"}), strings({"f", std::nullopt, "f"})});
  CHECK(texts_are(out, {"t", std::nullopt, "f"}));
  CHECK(bind_error("if", {cond, cond}) == "if expects 3 arguments, got 2");
  CHECK(bind_error("if", {strings({"x"}), cond, cond}) == "if expects a boolean condition, got string");
}

TEST_CASE("nullif") {
  auto out = call("nullif", {column<IntT>({1, 2, std::nullopt, 4}), column<IntT>({1, 3, 1, std::nullopt})});
  CHECK(column_is<IntT>(out, {std::nullopt, 2, std::nullopt, 4}));
  auto nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(values<DoubleT>(call("nullif", {column<DoubleT>({nan}), column<DoubleT>({nan})}))[0] == std::nullopt);
}

TEST_CASE("greatest and least skip nulls") {
  auto a = column<IntT>({1, std::nullopt, std::nullopt, 7});
  auto b = column<IntT>({3, 2, std::nullopt, -1});
  CHECK(column_is<IntT>(call("greatest", {a, b}), {3, 2, std::nullopt, 7}));
  CHECK(column_is<IntT>(call("least", {a, b}), {1, 2, std::nullopt, -1}));
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto g = values<DoubleT>(call("greatest", {column<DoubleT>({nan, 1.0}), column<DoubleT>({1.0, -0.0})}));
  CHECK(std::isnan(*g[0]));
  CHECK(*g[1] == 1.0);
  CHECK(texts_are(call("least", {strings({"b", "é"}), strings({"a", "z"})}), {"a", "z"}));
  CHECK(bind_error("greatest", {a}) == "greatest expects at least 2 arguments, got 1");
}
