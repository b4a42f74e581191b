#include <cmath>

#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
double round_double(double x, int scale) {
  auto in = column<DoubleT>({x});
  return *values<DoubleT>(call("round", {in, lit_int(scale, 1)}))[0];
}
}  // namespace

TEST_CASE("abs keeps the type, abs(INT_MIN) wraps like Java") {
  CHECK(column_is<IntT>(call("abs", {column<IntT>({-3, INT32_MIN, std::nullopt})}),
                        {3, INT32_MIN, std::nullopt}));
  CHECK(column_is<DoubleT>(call("abs", {column<DoubleT>({-2.5})}), {2.5}));
  CHECK(bind("abs", {strings({"1"})}).args[0] == DataType::of(TypeId::Double));
  CHECK(bind_error("abs", {column<DateT>({1})}) == "abs expects a numeric argument, got date");
}

TEST_CASE("round is HALF_UP on the decimal value") {
  CHECK(column_is<DoubleT>(call("round", {column<DoubleT>({2.5, -2.5, 0.5, 1.4, std::nullopt})}),
                           {3.0, -3.0, 1.0, 1.0, std::nullopt}));
  CHECK(round_double(1.2345, 2) == 1.23);
  CHECK(round_double(2.675, 2) == 2.68);  // Java prints 2.675, so HALF_UP goes up
  CHECK(round_double(1.005, 2) == 1.01);
  CHECK(round_double(1234.5, -2) == 1200.0);
  CHECK(round_double(1250.0, -2) == 1300.0);
  CHECK(round_double(-1250.0, -2) == -1300.0);
  CHECK(round_double(0.04, 1) == 0.0);
  CHECK(round_double(0.05, 1) == 0.1);
  CHECK(round_double(4.0, -1) == 0.0);
  CHECK(round_double(5.0, -1) == 10.0);
  CHECK(round_double(1e300, 2) == 1e300);
  CHECK(std::isnan(round_double(NAN, 2)));
  CHECK(column_is<IntT>(call("round", {column<IntT>({15, -15, 14}), lit_int(-1, 3)}), {20, -20, 10}));
  CHECK(column_is<LongT>(call("round", {column<LongT>({123}), lit_int(2, 1)}), {123}));
  CHECK(column_is<DoubleT>(call("round", {column<DoubleT>({1.5}), lit_null(DataType::of(TypeId::Int), 1)}),
                           {std::nullopt}));
  CHECK(bind_error("round", {column<DoubleT>({1}), column<IntT>({1})}) ==
        "round expects an integer literal as its scale");
}

TEST_CASE("floor and ceil return bigint") {
  auto in = column<DoubleT>({-1.5, 1.5, -0.0, std::nullopt, NAN, 1e30});
  CHECK(column_is<LongT>(call("floor", {in}), {-2, 1, 0, std::nullopt, 0, INT64_MAX}));
  CHECK(column_is<LongT>(call("ceil", {in}), {-1, 2, 0, std::nullopt, 0, INT64_MAX}));
  CHECK(bind("floor", {column<IntT>({1})}).result == DataType::of(TypeId::Long));
  CHECK(bind("ceil", {column<IntT>({1})}).args[0] == DataType::of(TypeId::Long));
}

TEST_CASE("transcendental functions") {
  CHECK(column_is<DoubleT>(call("sqrt", {column<DoubleT>({4.0})}), {2.0}));
  CHECK(std::isnan(*values<DoubleT>(call("sqrt", {column<DoubleT>({-1.0})}))[0]));
  CHECK(
      column_is<DoubleT>(call("ln", {column<DoubleT>({1.0, 0.0, -1.0})}), {0.0, std::nullopt, std::nullopt}));
  CHECK(column_is<DoubleT>(call("log10", {column<DoubleT>({100.0, 0.0})}), {2.0, std::nullopt}));
  CHECK(column_is<DoubleT>(call("log", {column<DoubleT>({2.0, -2.0}), column<DoubleT>({8.0, 8.0})}),
                           {3.0, std::nullopt}));
  CHECK(column_is<DoubleT>(call("power", {column<DoubleT>({2.0}), column<DoubleT>({10.0})}), {1024.0}));
  CHECK(std::isnan(*values<DoubleT>(call("pow", {column<DoubleT>({1.0}), column<DoubleT>({NAN})}))[0]));
  CHECK(column_is<DoubleT>(call("exp", {column<DoubleT>({0.0})}), {1.0}));
  CHECK(column_is<DoubleT>(call("sign", {column<DoubleT>({-3.0, 0.0, 2.0})}), {-1.0, 0.0, 1.0}));
}

TEST_CASE("mod and pmod") {
  auto a = column<IntT>({7, -7, 7, INT32_MIN, 1});
  auto b = column<IntT>({3, 3, -3, -1, 0});
  CHECK(column_is<IntT>(call("mod", {a, b}), {1, -1, 1, 0, std::nullopt}));
  CHECK(column_is<IntT>(call("pmod", {a, b}), {1, 2, 1, 0, std::nullopt}));
  CHECK(column_is<DoubleT>(call("pmod", {column<DoubleT>({-7.5}), column<DoubleT>({2.0})}), {0.5}));
  Signature mixed = bind("mod", {column<IntT>({1}), column<DoubleT>({1})});
  CHECK(mixed.result == DataType::of(TypeId::Double));
}
