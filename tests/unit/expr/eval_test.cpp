#include <doctest.h>

#include <cmath>

#include "expr_test_util.hpp"

using namespace runnel;
using namespace runnel::expr;
using namespace runnel::expr::testing;

TEST_CASE("eval: arithmetic, Spark non-ANSI") {
  CHECK(eval1("7 / 2") == "3.5");
  CHECK(eval1("7 DIV 2") == "3");
  CHECK(eval1("-7 DIV 2") == "-3");
  CHECK(eval1("1 / 0") == "NULL");
  CHECK(eval1("1 DIV 0") == "NULL");
  CHECK(eval1("1 % 0") == "NULL");
  CHECK(eval1("1.5 % 0") == "NULL");
  CHECK(eval1("-7 % 3") == "-1");
  CHECK(eval1("7 % -3") == "1");
  CHECK(eval1("-7.5 % 2") == "-1.5");
  CHECK(eval1("2147483647 + 1") == "-2147483648");
  CHECK(eval1("9223372036854775807L + 1") == "-9223372036854775808");
  CHECK(eval1("-2147483648 * -1") == "-2147483648");
  CHECK(eval1("-(-2147483648)") == "-2147483648");
  CHECK(eval1("(-2147483648) % -1") == "0");
  CHECK(eval1("-9223372036854775808L DIV -1") == "-9223372036854775808");
  CHECK(eval1("1 + 2.5") == "3.5");
  CHECK(eval1("'1' + 1") == "2.0");
  CHECK(eval1("'x' + 1") == "NULL");
  CHECK(eval1("1 + NULL") == "NULL");
  CHECK(eval1("6 & 3") == "2");
  CHECK(eval1("6 | 3") == "7");
  CHECK(eval1("6 ^ 3") == "5");
  CHECK(eval1("~0") == "-1");
  CHECK(eval1("0.1 + 0.2") == "0.30000000000000004");
}

TEST_CASE("eval: arithmetic over columns with nulls, literal on either side") {
  auto b = batch_of({{"x", longs({10, std::nullopt, -3, 0})}, {"y", longs({3, 1, std::nullopt, 0})}});
  CHECK(eval("x + 1", b) == Strings{"11", "NULL", "-2", "1"});
  CHECK(eval("1 - x", b) == Strings{"-9", "NULL", "4", "1"});
  CHECK(eval("x * y", b) == Strings{"30", "NULL", "NULL", "0"});
  CHECK(eval("x / y", b) == Strings{"3.3333333333333335", "NULL", "NULL", "NULL"});
  CHECK(eval("x % y", b) == Strings{"1", "NULL", "NULL", "NULL"});
  CHECK(eval("x DIV y", b) == Strings{"3", "NULL", "NULL", "NULL"});
  CHECK(eval("x / 0", b) == Strings{"NULL", "NULL", "NULL", "NULL"});
  CHECK(eval("-x", b) == Strings{"-10", "NULL", "3", "0"});
}

TEST_CASE("eval: comparisons and three-valued logic") {
  auto b = batch_of({{"p", bools({1, 1, 1, 0, 0, 0, std::nullopt, std::nullopt, std::nullopt})},
                     {"q", bools({1, 0, std::nullopt, 1, 0, std::nullopt, 1, 0, std::nullopt})}});
  CHECK(eval("p AND q", b) == Strings{"true", "false", "NULL", "false", "false", "false", "NULL", "false", "NULL"});
  CHECK(eval("p OR q", b) == Strings{"true", "true", "true", "true", "false", "NULL", "true", "NULL", "NULL"});
  CHECK(eval("NOT p", b) == Strings{"false", "false", "false", "true", "true", "true", "NULL", "NULL", "NULL"});
  CHECK(eval("p <=> q", b) == Strings{"true", "false", "false", "false", "true", "false", "false", "false", "true"});
  CHECK(eval("p = q", b) == Strings{"true", "false", "NULL", "false", "true", "NULL", "NULL", "NULL", "NULL"});
  CHECK(eval("p IS NULL", b)[6] == "true");
  CHECK(eval("q IS NOT NULL", b)[2] == "false");
  CHECK(eval1("false AND NULL") == "false");
  CHECK(eval1("true OR NULL") == "true");
  CHECK(eval1("true AND NULL") == "NULL");
  CHECK(eval1("NULL <=> NULL") == "true");
  CHECK(eval1("1 <=> NULL") == "false");
  CHECK(eval1("NULL = NULL") == "NULL");
  CHECK(eval1("'abc' < 'abd'") == "true");
  CHECK(eval1("'Z' < 'a'") == "true");           // byte-wise
  CHECK(eval1("'\u00e9' > 'z'") == "true");      // UTF-8 bytes sort after ASCII
  CHECK(eval1("'' < 'a'") == "true");
  CHECK(eval1("'1.5' = 1") == "true");           // string cast to int: fraction dropped
  CHECK(eval1("' 12 ' = 12") == "true");
  CHECK(eval1("'abc' = 1") == "NULL");
  CHECK(eval1("CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)") == "true");
  CHECK(eval1("CAST('NaN' AS DOUBLE) > 1e308") == "true");
  CHECK(eval1("1 = 1.0") == "true");
  CHECK(eval1("TIMESTAMP '2024-01-01 00:00:00' < '2024-01-02'") == "true");
}

TEST_CASE("eval: column vs literal comparison at batch edges") {
  for (size_t rows : {0, 1, 63, 64, 65, 130}) {
    std::vector<std::optional<int64_t>> v;
    for (size_t i = 0; i < rows; ++i) v.push_back(i % 7 == 3 ? std::nullopt : std::optional<int64_t>(int64_t(i) * 100));
    auto b = batch_of({{"bytes", longs(v)}});
    auto out = eval("bytes > 1000", b);
    REQUIRE(out.size() == rows);
    for (size_t i = 0; i < rows; ++i) {
      std::string want = !v[i] ? "NULL" : (*v[i] > 1000 ? "true" : "false");
      CHECK(out[i] == want);
    }
    auto flipped = eval("1000 < bytes", b);
    CHECK(flipped == out);
  }
}

TEST_CASE("eval: IN, BETWEEN, CASE") {
  auto b = batch_of({{"x", ints({1, 2, 5, std::nullopt})}});
  CHECK(eval("x IN (1, 2)", b) == Strings{"true", "true", "false", "NULL"});
  CHECK(eval("x IN (1, NULL)", b) == Strings{"true", "NULL", "NULL", "NULL"});
  CHECK(eval("x NOT IN (1, 2)", b) == Strings{"false", "false", "true", "NULL"});
  CHECK(eval("x IN (x, 7)", b) == Strings{"true", "true", "true", "NULL"});
  CHECK(eval("x IN (1,2,3,4,5,6,7,8,9,10,11)", b) == Strings{"true", "true", "true", "NULL"});
  CHECK(eval("x IN ('1', '5')", b) == Strings{"true", "false", "true", "NULL"});
  CHECK(eval("x BETWEEN 1 AND 2", b) == Strings{"true", "true", "false", "NULL"});
  CHECK(eval("x NOT BETWEEN 2 AND 5", b) == Strings{"true", "false", "false", "NULL"});
  CHECK(eval("CASE WHEN x > 1 THEN 'big' WHEN x = 1 THEN 'one' END", b) == Strings{"one", "big", "big", "NULL"});
  CHECK(eval("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END", b) == Strings{"a", "b", "c", "c"});
  CHECK(eval("CASE WHEN x > 1 THEN x ELSE 0 END", b) == Strings{"0", "2", "5", "0"});
  CHECK(eval("CASE WHEN x > 1 THEN x * 1.5 END", b) == Strings{"NULL", "3.0", "7.5", "NULL"});
  CHECK(eval1("CASE WHEN false THEN 1 END") == "NULL");
  CHECK(eval1("'a' IN ('b', 'a')") == "true");
}

TEST_CASE("eval: LIKE and RLIKE") {
  auto b = batch_of({{"url", strings({"/checkout/cart", "/home", "", "/checkout", std::nullopt, "a_b%c", "x\ny"})}});
  CHECK(eval("url LIKE '/checkout%'", b) == Strings{"true", "false", "false", "true", "NULL", "false", "false"});
  CHECK(eval("url LIKE '%cart'", b) == Strings{"true", "false", "false", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE '%check%'", b) == Strings{"true", "false", "false", "true", "NULL", "false", "false"});
  CHECK(eval("url LIKE '/home'", b) == Strings{"false", "true", "false", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE '%'", b) == Strings{"true", "true", "true", "true", "NULL", "true", "true"});
  CHECK(eval("url LIKE ''", b) == Strings{"false", "false", "true", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE '/h_me'", b) == Strings{"false", "true", "false", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE '/c%t/%'", b) == Strings{"true", "false", "false", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE 'a\\\\_b\\\\%c'", b)[5] == "true");
  CHECK(eval("url LIKE 'a\\\\_b%'", b)[5] == "true");
  CHECK(eval("url LIKE 'x_y'", b)[6] == "true");  // `_` matches a newline
  CHECK(eval("url NOT LIKE '/checkout%'", b) == Strings{"false", "true", "true", "false", "NULL", "true", "true"});
  CHECK(eval("url RLIKE 'check'", b) == Strings{"true", "false", "false", "true", "NULL", "false", "false"});
  CHECK(eval("url RLIKE '^/h.*e$'", b) == Strings{"false", "true", "false", "false", "NULL", "false", "false"});
  CHECK(eval("url LIKE url", b) == Strings{"true", "true", "true", "true", "NULL", "true", "true"});
  CHECK(eval1("'\u00e9' LIKE '_'") == "true");  // one character, two bytes
  CHECK(eval1("NULL LIKE 'a'") == "NULL");
  CHECK(eval1("'a' LIKE NULL") == "NULL");
  CHECK(eval1("123 LIKE '1%'") == "true");
}

TEST_CASE("eval: CAST corner cases") {
  CHECK(eval1("CAST(' 12 ' AS INT)") == "12");
  CHECK(eval1("CAST('1e3' AS INT)") == "NULL");
  CHECK(eval1("CAST('1e3' AS DOUBLE)") == "1000.0");
  CHECK(eval1("CAST('abc' AS INT)") == "NULL");
  CHECK(eval1("CAST('' AS INT)") == "NULL");
  CHECK(eval1("CAST('1.9' AS INT)") == "1");
  CHECK(eval1("CAST('-1.9' AS BIGINT)") == "-1");
  CHECK(eval1("CAST('+5' AS INT)") == "5");
  CHECK(eval1("CAST('2147483648' AS INT)") == "NULL");
  CHECK(eval1("CAST('-2147483648' AS INT)") == "-2147483648");
  CHECK(eval1("CAST('9223372036854775807' AS BIGINT)") == "9223372036854775807");
  CHECK(eval1("CAST('.' AS INT)") == "NULL");
  CHECK(eval1("CAST('1.' AS INT)") == "1");
  CHECK(eval1("CAST('1.5' AS DOUBLE)") == "1.5");
  CHECK(eval1("CAST(' 2.5d ' AS DOUBLE)") == "2.5");
  CHECK(eval1("CAST('Infinity' AS DOUBLE)") == "Infinity");
  CHECK(eval1("CAST('-inf' AS DOUBLE)") == "-Infinity");
  CHECK(eval1("CAST('NaN' AS DOUBLE)") == "NaN");
  CHECK(eval1("CAST('0x10' AS DOUBLE)") == "NULL");
  CHECK(eval1("CAST('true' AS BOOLEAN)") == "true");
  CHECK(eval1("CAST('t' AS BOOLEAN)") == "true");
  CHECK(eval1("CAST('YES' AS BOOLEAN)") == "true");
  CHECK(eval1("CAST(' n ' AS BOOLEAN)") == "false");
  CHECK(eval1("CAST('0' AS BOOLEAN)") == "false");
  CHECK(eval1("CAST('maybe' AS BOOLEAN)") == "NULL");
  CHECK(eval1("CAST(1.0 AS STRING)") == "1.0");
  CHECK(eval1("CAST(1e10 AS STRING)") == "1.0E10");
  CHECK(eval1("CAST(1.9 AS INT)") == "1");
  CHECK(eval1("CAST(-1.9 AS INT)") == "-1");
  CHECK(eval1("CAST(1e20 AS INT)") == "2147483647");
  CHECK(eval1("CAST(CAST('NaN' AS DOUBLE) AS INT)") == "0");
  CHECK(eval1("CAST(4294967297L AS INT)") == "1");  // bigint -> int wraps
  CHECK(eval1("CAST(2 AS BOOLEAN)") == "true");
  CHECK(eval1("CAST(true AS INT)") == "1");
  CHECK(eval1("CAST(NULL AS INT)") == "NULL");
  CHECK(eval1("CAST(1.5 AS FLOAT)") == "1.5");
  CHECK(eval1("CAST('2024-01-02 03:04:05' AS TIMESTAMP)") == "2024-01-02 03:04:05");
  CHECK(eval1("CAST('2024-01-02' AS TIMESTAMP)") == "2024-01-02 00:00:00");
  CHECK(eval1("CAST('2024-01-02 03:04:05.120' AS TIMESTAMP)") == "2024-01-02 03:04:05.12");
  CHECK(eval1("CAST('nope' AS TIMESTAMP)") == "NULL");
  CHECK(eval1("CAST(' 2024-01-02 ' AS DATE)") == "2024-01-02");
  CHECK(eval1("CAST(TIMESTAMP '2024-01-02 03:04:05' AS DATE)") == "2024-01-02");
  CHECK(eval1("CAST(DATE '2024-01-02' AS TIMESTAMP)") == "2024-01-02 00:00:00");
  CHECK(eval1("CAST(TIMESTAMP '1970-01-01 00:00:01.5' AS BIGINT)") == "1");
  CHECK(eval1("CAST(TIMESTAMP '1969-12-31 23:59:59.5' AS BIGINT)") == "-1");
  CHECK(eval1("CAST(TIMESTAMP '1970-01-01 00:00:01.5' AS DOUBLE)") == "1.5");
  CHECK(eval1("CAST(86400 AS TIMESTAMP)") == "1970-01-02 00:00:00");
  CHECK(eval1("CAST(1.5 AS TIMESTAMP)") == "1970-01-01 00:00:01.5");
  CHECK(eval1("CAST(DATE '2024-01-02' AS INT)") == "NULL");
  CHECK(eval1("CAST('abc' AS BINARY)") == "abc");
}

TEST_CASE("eval: timestamps and intervals") {
  auto b = batch_of({{"ts", timestamps({0, std::nullopt, 1700000000000000})}});
  CHECK(eval("ts + INTERVAL 10 MINUTES", b) == Strings{"1970-01-01 00:10:00", "NULL", "2023-11-14 22:23:20"});
  CHECK(eval("ts - INTERVAL '1' DAY", b)[0] == "1969-12-31 00:00:00");
  CHECK(eval("INTERVAL '1 hour' + ts", b)[0] == "1970-01-01 01:00:00");
  CHECK(eval("current_timestamp()", b, 1000000) == Strings{"1970-01-01 00:00:01", "1970-01-01 00:00:01", "1970-01-01 00:00:01"});
  CHECK(eval("current_date", b, 90000000000LL)[0] == "1970-01-02");
  CHECK(eval("ts > '1970-01-01 00:00:00'", b) == Strings{"false", "NULL", "true"});
}

TEST_CASE("eval: strings, structs, arrays") {
  auto tags = Column::make(DataType::array_of(DataType::of(TypeId::String)));
  tags->children()[0]->append_string("a");
  tags->children()[0]->append_string("b");
  tags->end_array();
  tags->append_null();
  tags->end_array();
  auto win = Column::make(parse_ddl_schema("w STRUCT<start: BIGINT, end: BIGINT>", "t")[0].type);
  win->children()[0]->append<int64_t>(1);
  win->children()[1]->append<int64_t>(2);
  win->resize(1);
  win->append_null();
  win->append_null();
  std::string big(100000, 'x');
  auto b = batch_of({{"tags", tags}, {"win", win}, {"s", strings({big, std::nullopt, ""})}});
  CHECK(eval("tags[0]", b) == Strings{"a", "NULL", "NULL"});
  CHECK(eval("tags[1]", b) == Strings{"b", "NULL", "NULL"});
  CHECK(eval("tags[-1]", b) == Strings{"NULL", "NULL", "NULL"});
  CHECK(eval("win.end", b) == Strings{"2", "NULL", "NULL"});
  CHECK(eval("CAST(tags AS STRING)", b) == Strings{"[a, b]", "NULL", "[]"});
  CHECK(eval("CAST(win AS STRING)", b) == Strings{"{1, 2}", "NULL", "NULL"});
  CHECK(eval("s = s", b) == Strings{"true", "NULL", "true"});
  CHECK(eval("s LIKE 'x%x'", b) == Strings{"true", "NULL", "false"});
  auto column = compile("s", *b.schema, "t")->evaluate(b, {});
  CHECK(column.get() == b.columns[2].get());  // bare references are not copied
}
