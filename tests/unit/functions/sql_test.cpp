// Functions called from SQL text through the real binder (implicit casts,
// literal arguments), with the examples of Spark's SQL function reference.
#include "../expr/expr_test_util.hpp"

using namespace runnel;
using namespace runnel::expr::testing;

TEST_CASE("Spark reference examples through the binder") {
  CHECK(eval1("substring('Spark SQL', 5)") == "k SQL");
  CHECK(eval1("substring('Spark SQL', -3)") == "SQL");
  CHECK(eval1("substr('Spark SQL', 5, 1)") == "k");
  CHECK(eval1("length('Spark SQL ')") == "10");
  CHECK(eval1("length(123)") == "3");
  CHECK(eval1("concat('Spark', 'SQL')") == "SparkSQL");
  CHECK(eval1("concat_ws(' ', 'Spark', 'SQL')") == "Spark SQL");
  CHECK(eval1("split('oneAtwoBthreeC', '[ABC]')") == "[one, two, three, ]");
  CHECK(eval1("split('oneAtwoBthreeC', '[ABC]', 2)") == "[one, twoBthreeC]");
  CHECK(eval1("regexp_extract('100-200', '([0-9]+)-([0-9]+)', 1)") == "100");
  CHECK(eval1("regexp_replace('100-200', '([0-9]+)', 'num')") == "num-num");
  CHECK(eval1("get_json_object('{\"a\":\"b\"}', '$.a')") == "b");
  CHECK(eval1("trim('    SparkSQL   ')") == "SparkSQL");
  CHECK(eval1("upper('SparkSql')") == "SPARKSQL");
  CHECK(eval1("lpad('hi', 5, '?!')") == "?!?hi");
  CHECK(eval1("rpad('hi', 5, '?!')") == "hi?!?");
  CHECK(eval1("instr('SparkSQL', 'SQL')") == "6");
  CHECK(eval1("replace('ABCabc', 'abc', 'DEF')") == "ABCDEF");
  CHECK(eval1("element_at(split('a,b,c', ','), 2)") == "b");
  CHECK(eval1("size(split('a,b', ','))") == "2");
  CHECK(eval1("array_contains(split('a,b', ','), 'b')") == "true");
  CHECK(eval1("hash('ABC')") == "-757602832");
  CHECK(eval1("abs(-1)") == "1");
  CHECK(eval1("floor(-0.1)") == "-1");
  CHECK(eval1("ceil(-0.1)") == "0");
  CHECK(eval1("round(2.5)") == "3.0");
  CHECK(eval1("round(-2.5)") == "-3.0");
  CHECK(eval1("round(1.2345, 2)") == "1.23");
  CHECK(eval1("round(1250, -2)") == "1300");
  CHECK(eval1("pmod(-10, 3)") == "2");
  CHECK(eval1("sqrt(4)") == "2.0");
  CHECK(eval1("pow(2, 3)") == "8.0");
  CHECK(eval1("greatest(10, 9, 2, 4, 3)") == "10");
  CHECK(eval1("least(10, 9, 2, 4, 3)") == "2");
  CHECK(eval1("coalesce(NULL, 1, NULL)") == "1");
  CHECK(eval1("nullif(2, 2)") == "NULL");
  CHECK(eval1("if(1 < 2, 'a', 'b')") == "a");
  CHECK(eval1("timestamp_seconds(1230219000)") == "2008-12-25 15:30:00");
  CHECK(eval1("from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')") == "1970-01-01 00:00:00");
  CHECK(eval1("unix_timestamp('2016-04-08', 'yyyy-MM-dd')") == "1460073600");
  CHECK(eval1("to_timestamp('2016-12-31', 'yyyy-MM-dd')") == "2016-12-31 00:00:00");
  CHECK(eval1("to_timestamp('2016-12-31 00:12:00')") == "2016-12-31 00:12:00");
  CHECK(eval1("to_date('2009-07-30 04:17:52')") == "2009-07-30");
  CHECK(eval1("date_trunc('YEAR', '2015-03-05T09:32:05.359')") == "2015-01-01 00:00:00");
  CHECK(eval1("date_trunc('MM', '2015-03-05T09:32:05.359')") == "2015-03-01 00:00:00");
  CHECK(eval1("date_format('2016-04-08', 'y')") == "2016");
  CHECK(eval1("year('2016-07-30')") == "2016");
  CHECK(eval1("unix_millis(to_timestamp('1970-01-01 00:00:01'))") == "1000");
}

TEST_CASE("function errors through the binder") {
  Schema none;
  CHECK_THROWS_WITH_AS(expr::compile("substring('x')", none, "t"),
                       doctest::Contains("substring expects 2 or 3 arguments, got 1"), Error);
  CHECK_THROWS_WITH_AS(expr::compile("to_timestamp('x', 'YYYY')", none, "t"), doctest::Contains("week-based"),
                       Error);
  CHECK_THROWS_WITH_AS(expr::compile("no_such_fn(1)", none, "t"), doctest::Contains("unknown function"),
                       Error);
}

TEST_CASE("current_timestamp and unix_timestamp() read the batch time") {
  auto b = batch_of({{"x", ints({1, 2})}});
  CHECK(eval("unix_timestamp()", b, 1'500'000'000'999'999) == Strings{"1500000000", "1500000000"});
  CHECK(eval("current_timestamp()", b, 0) == Strings{"1970-01-01 00:00:00", "1970-01-01 00:00:00"});
}
