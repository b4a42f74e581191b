#include <doctest.h>

#include "expr/ast.hpp"
#include "expr/coercion.hpp"
#include "expr/expression.hpp"
#include "expr_test_util.hpp"

using namespace runnel;
using namespace runnel::expr;
using namespace runnel::expr::testing;

namespace {

Schema clicks() {
  return parse_ddl_schema("user STRING, url STRING, ts TIMESTAMP, bytes BIGINT, n INT, d DOUBLE, ok BOOLEAN, "
                          "day DATE, tags ARRAY<STRING>, win STRUCT<start: TIMESTAMP, `End`: TIMESTAMP>",
                          "test");
}

std::string bind_error(const std::string& text, const BindOptions& options = {}) {
  try {
    expr::bind(parse(text), clicks(), options);
  } catch (const ExprError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("binder: result types follow Spark's coercion") {
  Schema s = clicks();
  CHECK(type_of("n + 1", s) == "int");
  CHECK(type_of("n + bytes", s) == "bigint");
  CHECK(type_of("n + 1.5", s) == "double");
  CHECK(type_of("n / 2", s) == "double");
  CHECK(type_of("bytes DIV 2", s) == "bigint");
  CHECK(type_of("n % 2", s) == "int");
  CHECK(type_of("user + 1", s) == "double");  // strings are read as double in arithmetic
  CHECK(type_of("n + NULL", s) == "int");
  CHECK(type_of("n > 1", s) == "boolean");
  CHECK(type_of("ts + INTERVAL 10 MINUTES", s) == "timestamp");
  CHECK(type_of("CAST(n AS STRING)", s) == "string");
  CHECK(type_of("CASE WHEN ok THEN n ELSE bytes END", s) == "bigint");
  CHECK(type_of("CASE WHEN ok THEN n ELSE 'x' END", s) == "string");
  CHECK(type_of("CASE WHEN ok THEN 1 END", s) == "int");
  CHECK(type_of("win.start", s) == "timestamp");
  CHECK(type_of("tags[0]", s) == "string");
  CHECK(type_of("-n", s) == "int");
  CHECK(type_of("n & 3", s) == "int");
  CHECK(type_of("NULL", s) == "void");
}

TEST_CASE("binder: common_type and implicit casts") {
  auto t = [](TypeId id) { return DataType::of(id); };
  CHECK(*common_type({t(TypeId::Int), t(TypeId::Long)}) == t(TypeId::Long));
  CHECK(*common_type({t(TypeId::Long), t(TypeId::Float)}) == t(TypeId::Float));
  CHECK(*common_type({t(TypeId::Null), t(TypeId::Date)}) == t(TypeId::Date));
  CHECK(*common_type({t(TypeId::Date), t(TypeId::Timestamp)}) == t(TypeId::Timestamp));
  CHECK(*common_type({t(TypeId::Int), t(TypeId::String)}) == t(TypeId::String));
  CHECK(!common_type({t(TypeId::Boolean), t(TypeId::String)}));
  CHECK(!common_type({t(TypeId::Int), t(TypeId::Boolean)}));
  CHECK(*common_type(std::vector<DataType>{}) == t(TypeId::Null));
  CHECK(*comparison_type(t(TypeId::String), t(TypeId::Int)) == t(TypeId::Int));
  CHECK(*comparison_type(t(TypeId::String), t(TypeId::Timestamp)) == t(TypeId::Timestamp));
  CHECK(can_implicitly_cast(t(TypeId::String), t(TypeId::Double)));
  CHECK(can_implicitly_cast(t(TypeId::Double), t(TypeId::Int)));
  CHECK(can_implicitly_cast(t(TypeId::Int), t(TypeId::String)));
  CHECK(!can_implicitly_cast(t(TypeId::Boolean), t(TypeId::Int)));
  CHECK(!can_implicitly_cast(t(TypeId::Int), t(TypeId::Timestamp)));
}

TEST_CASE("binder: names are resolved case-insensitively and named as Spark does") {
  Schema s = clicks();
  auto e = compile("USER", s, "test");
  CHECK(e->name() == "user");
  CHECK(e->column_index() == std::optional<size_t>(0));
  CHECK(compile("bytes + 1", s, "t")->name() == "(bytes + 1)");
  CHECK(compile("BYTES + 1", s, "t")->name() == "(bytes + 1)");
  CHECK(compile("bytes > 1000", s, "t")->name() == "(bytes > 1000)");
  CHECK(compile("win.end", s, "t")->name() == "End");
  CHECK(compile("bytes * 2 AS double_bytes", s, "t")->name() == "double_bytes");
  CHECK(compile("CAST(n AS BIGINT)", s, "t")->name() == "CAST(n AS BIGINT)");
  CHECK(compile("n + 1", s, "t")->inputs() == std::vector<size_t>{4});
  CHECK(compile("n + bytes + n", s, "t")->inputs() == std::vector<size_t>{4, 3});
  CHECK(!compile("n + 1", s, "t")->column_index());
}

TEST_CASE("binder: errors name the problem") {
  CHECK(bind_error("usr") ==
        "unknown column 'usr' (did you mean 'user'?); available columns: user, url, ts, bytes, n, d, ok, day, tags, win "
        "at column 1 of 'usr'");
  CHECK(bind_error("n + zzz").find("at column 5") != std::string::npos);
  CHECK(bind_error("win.middle").find("no field 'middle'") != std::string::npos);
  CHECK(bind_error("sum(bytes)").find("aggregate function 'sum' is only allowed in an aggregate step") != std::string::npos);
  CHECK(bind_error("window(ts, '1 minute')").find("only allowed in an aggregate step") != std::string::npos);
  CHECK(bind_error("nosuchfn(1)").find("unknown function 'nosuchfn'") != std::string::npos);
  CHECK(bind_error("explode(tags)").find("explode() is only allowed") != std::string::npos);
  CHECK(bind_error("ok + 1").find("needs numeric operands") != std::string::npos);
  CHECK(bind_error("n AND ok").find("needs a boolean operand") != std::string::npos);
  CHECK(bind_error("tags = 1").find("cannot compare") != std::string::npos);
  CHECK(bind_error("CAST(n AS DATE)").find("cannot cast int to date") != std::string::npos);
  CHECK(bind_error("url LIKE 'a\\\\b'").find("escape character") != std::string::npos);
  CHECK(bind_error("url RLIKE '('").find("invalid regular expression") != std::string::npos);
  CHECK(bind_error("INTERVAL 1 DAY").find("INTERVAL can only be added") != std::string::npos);
  CHECK(bind_error("n + INTERVAL 1 DAY").find("only be added to a timestamp") != std::string::npos);
  CHECK(bind_error("TIMESTAMP 'not a time'").find("invalid TIMESTAMP") != std::string::npos);
  CHECK(bind_error("n[0]").find("not an array") != std::string::npos);
  CHECK(bind_error("n IN (1, ok)").find("no common type") != std::string::npos);
  try {
    compile("usr", clicks(), "pipeline.yaml:3:5");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Config);
    CHECK(std::string(e.what()).rfind("pipeline.yaml:3:5: unknown column 'usr'", 0) == 0);
  }
}

TEST_CASE("binder: generators and the call hook") {
  BindOptions select;
  select.allow_generator = true;
  auto e = expr::bind(parse("explode(tags)"), clicks(), select);
  CHECK(e->is_generator());
  CHECK(e->type().to_string() == "string");
  CHECK(e->name() == "col");
  CHECK(expr::bind(parse("explode(tags) AS tag"), clicks(), select)->name() == "tag");
  CHECK(bind_error("explode(tags) = 'a'", select).find("explode() is only allowed") != std::string::npos);

  BindOptions aggregate;
  aggregate.resolve_call = [](const Ast& call, const Schema& input) -> std::unique_ptr<Expression> {
    if (call.name != "sum") return nullptr;
    return compile("bytes", input, "hook");
  };
  auto total = expr::bind(parse("sum(bytes) * 2"), clicks(), aggregate);
  CHECK(total->type().to_string() == "bigint");
  CHECK(total->name() == "(sum(bytes) * 2)");
}

TEST_CASE("binder: constants are folded") {
  Schema s = clicks();
  auto e = compile("bytes > CAST('1000' AS BIGINT) + 1", s, "t");
  CHECK(e->inputs() == std::vector<size_t>{3});
  auto c = compile("1 + 2 * 3", s, "t");
  CHECK(c->inputs().empty());
  Batch one{std::make_shared<Schema>(s), {}, 0, nullptr};
  CHECK(eval1("1 + 2 * 3") == "7");
}
