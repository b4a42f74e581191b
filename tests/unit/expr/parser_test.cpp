#include <doctest.h>

#include "expr/ast.hpp"
#include "expr/expression.hpp"

using namespace runnel;
using namespace runnel::expr;

namespace {

std::string shape(const std::string& text) { return display_name(*parse(text)); }

size_t error_offset(const std::string& text) {
  try {
    parse(text);
  } catch (const ExprError& e) {
    return e.offset();
  }
  FAIL("no error for " << text);
  return 0;
}

std::string error_message(const std::string& text) {
  try {
    parse(text);
  } catch (const ExprError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("parser: operator precedence follows Spark") {
  CHECK(shape("a + b * c") == "(a + (b * c))");
  CHECK(shape("a * b + c") == "((a * b) + c)");
  CHECK(shape("a - b - c") == "((a - b) - c)");
  CHECK(shape("a OR b AND c") == "(a OR (b AND c))");
  CHECK(shape("NOT a = b") == "(NOT (a = b))");
  CHECK(shape("NOT a AND b") == "((NOT a) AND b)");
  CHECK(shape("a = 1 OR b > 2 AND c <= 3") == "((a = 1) OR ((b > 2) AND (c <= 3)))");
  CHECK(shape("a | b ^ c & d") == "(a | (b ^ (c & d)))");
  CHECK(shape("a & b + c") == "(a & (b + c))");
  CHECK(shape("a + b = c * d") == "((a + b) = (c * d))");
  CHECK(shape("-a * b") == "((- a) * b)");
  CHECK(shape("a % b DIV c / d") == "(((a % b) div c) / d)");
  CHECK(shape("a || b + c") == "(concat(a, b) + c)");  // same level, left to right
  CHECK(shape("(a + b) * c") == "((a + b) * c)");
  CHECK(shape("a <=> b") == "(a <=> b)");
  CHECK(shape("a != b") == "(NOT (a = b))");
  CHECK(shape("a <> b") == "(NOT (a = b))");
  CHECK(shape("a == b") == "(a = b)");
  CHECK(shape("~a") == "~a");
  CHECK(shape("!a") == "(NOT a)");
}

TEST_CASE("parser: predicates") {
  CHECK(shape("a IS NULL") == "(a IS NULL)");
  CHECK(shape("a is not null") == "(a IS NOT NULL)");
  CHECK(shape("a IN (1, 2, 3)") == "(a IN (1, 2, 3))");
  CHECK(shape("a NOT IN (1)") == "(NOT (a IN (1)))");
  CHECK(shape("a BETWEEN 1 AND 2") == "((a >= 1) AND (a <= 2))");
  CHECK(shape("a NOT BETWEEN 1 AND 2 AND b") == "((NOT ((a >= 1) AND (a <= 2))) AND b)");
  CHECK(shape("url LIKE '/checkout%'") == "url LIKE /checkout%");
  CHECK(shape("url NOT LIKE 'x'") == "(NOT url LIKE x)");
  CHECK(shape("url RLIKE 'a+'") == "url RLIKE a+");
  CHECK(shape("url REGEXP 'a+'") == "url RLIKE a+");
  CHECK(shape("a + 1 > 2 AND b IS NULL") == "(((a + 1) > 2) AND (b IS NULL))");
}

TEST_CASE("parser: literals") {
  auto lit = [](const std::string& text) { return parse(text)->literal; };
  CHECK(lit("1").type.id == TypeId::Int);
  CHECK(lit("2147483647").type.id == TypeId::Int);
  CHECK(lit("2147483648").type.id == TypeId::Long);
  CHECK(lit("-2147483648").type.id == TypeId::Int);
  CHECK(lit("-2147483648").i == INT32_MIN);
  CHECK(lit("10L").type.id == TypeId::Long);
  CHECK(lit("10L").i == 10);
  CHECK(lit("1.5").type.id == TypeId::Double);
  CHECK(lit("1e3").d == 1000.0);
  CHECK(lit(".5").d == 0.5);
  CHECK(lit("1.5D").d == 1.5);
  CHECK(lit("99999999999999999999").type.id == TypeId::Double);
  CHECK(lit("'it''s'").s == "its");  // adjacent literals join
  CHECK(lit("'a\\'b'").s == "a'b");
  CHECK(lit("\"dq\"").s == "dq");
  CHECK(lit("'tab\\there'").s == "tab\there");
  CHECK(lit("'\\u00e9'").s == "\xC3\xA9");
  CHECK(lit("'100\\%'").s == "100\\%");  // kept escaped for LIKE
  CHECK(lit("TRUE").b);
  CHECK(lit("false").type.id == TypeId::Boolean);
  CHECK(lit("NULL").is_null);
  CHECK(shape("-1") == "-1");
  CHECK(shape("1.5") == "1.5");
  CHECK(shape("1e3") == "1000.0");
  CHECK(shape("'abc'") == "abc");
}

TEST_CASE("parser: intervals") {
  auto us = [](const std::string& text) { return parse(text)->interval_us; };
  CHECK(us("INTERVAL 10 MINUTES") == 600000000LL);
  CHECK(us("interval 1 hour 30 minutes") == 5400000000LL);
  CHECK(us("INTERVAL '10' MINUTE") == 600000000LL);
  CHECK(us("INTERVAL '10 minutes'") == 600000000LL);
  CHECK(us("INTERVAL '1 day 2 hours'") == 93600000000LL);
  CHECK(us("INTERVAL 500 milliseconds") == 500000);
  CHECK(us("INTERVAL 1.5 seconds") == 1500000);
  CHECK(shape("INTERVAL 10 MINUTES") == "INTERVAL '10' MINUTE");
  CHECK(shape("ts - INTERVAL 1 DAY") == "(ts - INTERVAL '1' DAY)");
  CHECK(error_message("INTERVAL 1 MONTH").find("months") != std::string::npos);
  CHECK(error_offset("INTERVAL 10 parsecs") == 12);
}

TEST_CASE("parser: columns, calls, CASE, CAST") {
  auto col = parse("a.b.c");
  CHECK(col->kind == AstKind::Column);
  CHECK(col->parts == std::vector<std::string>{"a", "b", "c"});
  CHECK(parse("`odd name`.`x``y`")->parts == std::vector<std::string>{"odd name", "x`y"});
  auto sub = parse("arr[0].x");
  CHECK(sub->kind == AstKind::Field);
  CHECK(sub->children[0]->kind == AstKind::Subscript);
  CHECK(shape("count(*)") == "count(1)");
  auto distinct = parse("COUNT(DISTINCT user)");
  CHECK(distinct->distinct);
  CHECK(distinct->name == "COUNT");
  CHECK(shape("COUNT(DISTINCT user)") == "count(DISTINCT user)");
  CHECK(shape("lower(name)") == "lower(name)");
  CHECK(shape("f()") == "f()");
  CHECK(shape("current_timestamp") == "current_timestamp()");
  CHECK(shape("CASE WHEN a > 1 THEN 'x' ELSE 'y' END") == "CASE WHEN (a > 1) THEN x ELSE y END");
  CHECK(shape("CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END") == "CASE WHEN (a = 1) THEN x WHEN (a = 2) THEN y END");
  CHECK(shape("CAST(x AS int)") == "CAST(x AS INT)");
  CHECK(shape("cast(x as bigint)") == "CAST(x AS BIGINT)");
  CHECK(shape("CAST(x AS array<string>)") == "CAST(x AS ARRAY<STRING>)");
  CHECK(shape("TIMESTAMP '2024-01-02 03:04:05'") == "TIMESTAMP '2024-01-02 03:04:05'");
  CHECK(shape("window(ts, '1 minute')") == "window(ts, 1 minute)");
}

TEST_CASE("parser: aliases") {
  CHECK(parse("a + 1 AS b")->alias == "b");
  CHECK(parse("a + 1 b")->alias == "b");
  CHECK(parse("a AS `my col`")->alias == "my col");
  CHECK(parse("count(*) as clicks")->alias == "clicks");
  CHECK(parse("a")->alias.empty());
}

TEST_CASE("parser: errors carry the offset and say what was expected") {
  CHECK(error_offset("a + )") == 4);
  CHECK(error_message("a + )") == "unexpected ')': expected an expression at column 5 of 'a + )'");
  CHECK(error_offset("a +") == 3);
  CHECK(error_message("a +").find("end of input") != std::string::npos);
  CHECK(error_offset("'abc") == 0);
  CHECK(error_offset("(a + 1") == 6);
  CHECK(error_offset("a # b") == 2);
  CHECK(error_offset("1 2") == 2);
  CHECK(error_offset("CAST(a AS foo)") == 10);
  CHECK(error_offset("CASE WHEN a THEN b") == 18);
  CHECK(error_offset("a IN 1") == 5);
  CHECK(error_offset("f(a,)") == 4);
  CHECK(error_offset("a AND") == 5);
  CHECK(error_offset("a AS") == 4);
  CHECK(error_offset("`abc") == 0);
  CHECK(error_offset("") == 0);
  CHECK(error_offset("12abc") == 0);
  CHECK(error_message(std::string(300, '(') + "1").find("nested too deeply") != std::string::npos);
  std::string chain = "a";
  for (int i = 0; i < 5000; ++i) chain += " + a";
  CHECK(error_message(chain).find("too long") != std::string::npos);
}

TEST_CASE("parser: keywords are case-insensitive, identifiers keep their case") {
  CHECK(shape("a is NULL oR B and not c") == "((a IS NULL) OR (B AND (NOT c)))");
  CHECK(shape("Select") == "Select");
}
