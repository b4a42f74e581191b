#include "function_testing.hpp"

using namespace runnel;
using namespace runnel::fn;
using namespace runnel::fn::testing;

namespace {
OptString get(std::optional<std::string_view> json, std::string_view path) {
  return texts(call("get_json_object", {strings({json}), lit(path, 1)}))[0];
}
}  // namespace

TEST_CASE("get_json_object paths") {
  const char* doc =
      R"({"a":{"b":"x","n":1.50,"i":-7,"e":1e2,"t":true,"z":null},"arr":[1,"two",{"c":3}],"k y":"sp"})";
  CHECK(get(doc, "$.a.b") == "x");
  CHECK(get(doc, "$['a']['b']") == "x");
  CHECK(get(doc, "$.a.n") == "1.5");
  CHECK(get(doc, "$.a.i") == "-7");
  CHECK(get(doc, "$.a.e") == "100.0");
  CHECK(get(doc, "$.a.t") == "true");
  CHECK(get(doc, "$.a.z") == std::nullopt);
  CHECK(get(doc, "$.a.missing") == std::nullopt);
  CHECK(get(doc, "$.arr[0]") == "1");
  CHECK(get(doc, "$.arr[1]") == "two");
  CHECK(get(doc, "$.arr[2]") == R"({"c":3})");
  CHECK(get(doc, "$.arr[2].c") == "3");
  CHECK(get(doc, "$.arr[3]") == std::nullopt);
  CHECK(get(doc, "$.k y") == "sp");
  CHECK(get(doc, "$.a") == R"({"b":"x","n":1.5,"i":-7,"e":100.0,"t":true,"z":null})");
  CHECK(get(R"({"a":"b"})", "$") == R"({"a":"b"})");
  CHECK(get(R"("top")", "$") == "top");
  CHECK(get(R"({"a":[null]})", "$.a[0]") == "null");
  CHECK(get(R"({"a":"x","a":"y"})", "$.a") == "x");
  CHECK(get(R"({"s":"q\"uo\\te\n"})", "$.s") == "q\"uo\\te\n");
  CHECK(get(R"({"o":{"s":"q\"\n日"}})", "$.o") == R"({"s":"q\"\n日"})");
}

TEST_CASE("get_json_object wildcards follow Hive") {
  const char* doc = R"({"a":[{"b":1},{"b":2},{"c":3}],"one":[{"b":"s"}],"m":[[1,2],[3]]})";
  CHECK(get(doc, "$.a[*].b") == "[1,2]");
  CHECK(get(doc, "$.one[*].b") == R"("s")");
  CHECK(get(doc, "$.a[*].x") == std::nullopt);
  CHECK(get(doc, "$.m[*][*]") == "[1,2,3]");
  CHECK(get(doc, "$.m[0][*]") == "[1,2]");
  CHECK(get(doc, "$.*") == std::nullopt);
}

TEST_CASE("get_json_object is NULL for invalid input or path") {
  CHECK(get(R"({"a":)", "$.a") == std::nullopt);
  CHECK(get("", "$") == std::nullopt);
  CHECK(get("not json", "$") == std::nullopt);
  CHECK(get(std::nullopt, "$.a") == std::nullopt);
  CHECK(get(R"({"a":1})", "a") == std::nullopt);
  CHECK(get(R"({"a":1})", "$.") == std::nullopt);
  CHECK(get(R"({"a":1})", "$[x]") == std::nullopt);
  CHECK(get(R"([1,2])", "$.a") == std::nullopt);
  CHECK(get(R"({"a":1})", "$[0]") == std::nullopt);
  // Non-literal paths, one per row.
  auto out =
      call("get_json_object", {strings({R"({"a":1,"b":2})", R"({"a":1,"b":2})"}), strings({"$.a", "$.b"})});
  CHECK(texts_are(out, {"1", "2"}));
}
