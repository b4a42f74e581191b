#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
using L = std::vector<std::optional<std::string_view>>;
ColumnRef sample() { return string_arrays({L{"a", "b", std::nullopt}, L{}, std::nullopt, L{"c"}}); }
}  // namespace

TEST_CASE("size is -1 for NULL") {
  CHECK(column_is<IntT>(call("size", {sample()}), {3, 0, -1, 1}));
  CHECK(bind_error("size", {strings({"x"})}) == "size expects an array, got string");
}

TEST_CASE("element_at") {
  auto arrays = sample();
  CHECK(texts_are(call("element_at", {arrays, column<IntT>({1, 1, 1, -1})}),
                  {"a", std::nullopt, std::nullopt, "c"}));
  CHECK(texts_are(call("element_at", {arrays, column<IntT>({-1, -1, 1, 2})}),
                  {std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  CHECK(texts_are(call("element_at", {arrays, column<IntT>({-3, std::nullopt, 1, 0})}),
                  {"a", std::nullopt, std::nullopt, std::nullopt}));
  CHECK(bind_error("element_at", {arrays, lit_int(0, 4)}) == "element_at: SQL array indices start at 1");
}

TEST_CASE("array_contains is NULL when absent but a NULL element exists") {
  auto arrays = sample();
  CHECK(column_is<BoolT>(call("array_contains", {arrays, strings({"b", "b", "b", "b"})}),
                         {true, false, std::nullopt, false}));
  CHECK(column_is<BoolT>(call("array_contains", {arrays, strings({"z", "z", "z", std::nullopt})}),
                         {std::nullopt, false, std::nullopt, std::nullopt}));
}
