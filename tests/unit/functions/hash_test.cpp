#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

TEST_CASE("hash matches Spark's Murmur3Hash") {
  // Outputs documented by Spark (SQL reference and pyspark docs).
  CHECK(column_is<IntT>(call("hash", {strings({"ABC"})}), {-757602832}));
  CHECK(column_is<IntT>(call("hash", {strings({"ABC"}), strings({"DEF"})}), {599895104}));
  ColumnRef arr = Column::make(DataType::array_of(DataType::of(TypeId::Int)));
  arr->children()[0]->append<int32_t>(123);
  arr->end_array();
  CHECK(column_is<IntT>(call("hash", {strings({"Spark"}), arr, column<IntT>({2})}), {-1321691492}));
}

TEST_CASE("hash skips NULLs and hashes -0.0 as 0.0") {
  auto with_null = call("hash", {strings({"ABC", "ABC"}), strings({std::nullopt, "DEF"})});
  CHECK(column_is<IntT>(with_null, {-757602832, 599895104}));
  CHECK(column_is<IntT>(call("hash", {column<IntT>({std::nullopt})}), {42}));
  CHECK(values<IntT>(call("hash", {column<DoubleT>({-0.0})})) ==
        values<IntT>(call("hash", {column<DoubleT>({0.0})})));
  // An int and a long of the same value hash differently, as in Spark.
  CHECK(values<IntT>(call("hash", {column<IntT>({1})})) != values<IntT>(call("hash", {column<LongT>({1})})));
  // Tails of 1-3 bytes go through the byte-at-a-time path, multi-byte UTF-8 included.
  auto tails = values<IntT>(call("hash", {strings({"a", "ab", "abc", "abcd", "é", ""})}));
  CHECK(tails.size() == 6);
}

TEST_CASE("hash of an int") { CHECK(column_is<IntT>(call("hash", {column<IntT>({1})}), {-559580957})); }
