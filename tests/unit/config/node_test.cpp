#include <doctest.h>

#include <cstdlib>

#include "base/error.hpp"
#include "config/node.hpp"
#include "config_test_util.hpp"

using namespace runnel;
using namespace runnel::config;
using runnel::config::testing::catch_error;

namespace {

Node parse(const std::string& yaml) {
  return Node(YAML::Load(yaml), std::make_shared<const std::string>("f.yaml"), "");
}

constexpr int64_t kSec = 1000000;

}  // namespace

TEST_CASE("durations: units, spellings, decimals") {
  CHECK(parse_duration_us("10 minutes") == 600 * kSec);
  CHECK(parse_duration_us("1 minute") == 60 * kSec);
  CHECK(parse_duration_us("5s") == 5 * kSec);
  CHECK(parse_duration_us("5 sec") == 5 * kSec);
  CHECK(parse_duration_us("5 seconds") == 5 * kSec);
  CHECK(parse_duration_us("1 second") == kSec);
  CHECK(parse_duration_us("250 ms") == 250000);
  CHECK(parse_duration_us("250ms") == 250000);
  CHECK(parse_duration_us("3 milliseconds") == 3000);
  CHECK(parse_duration_us("7us") == 7);
  CHECK(parse_duration_us("2m") == 120 * kSec);
  CHECK(parse_duration_us("2 MINUTES") == 120 * kSec);
  CHECK(parse_duration_us("1h") == 3600 * kSec);
  CHECK(parse_duration_us("2 hours") == 7200 * kSec);
  CHECK(parse_duration_us("1d") == 86400 * kSec);
  CHECK(parse_duration_us("1 day") == 86400 * kSec);
  CHECK(parse_duration_us("1 week") == 7 * 86400 * kSec);
  CHECK(parse_duration_us("1.5 hours") == 5400 * kSec);
  CHECK(parse_duration_us("0.5s") == kSec / 2);
  CHECK(parse_duration_us(".25 s") == kSec / 4);
  CHECK(parse_duration_us("0.0000015 s") == 1);  // truncated to whole microseconds
  CHECK(parse_duration_us("0") == 0);
  CHECK(parse_duration_us("0 seconds") == 0);
  CHECK(parse_duration_us("30") == 30 * kSec);  // a bare number is seconds
  CHECK(parse_duration_us("  10 minutes  ") == 600 * kSec);
  // Spark interval strings: compound and "interval" prefix.
  CHECK(parse_duration_us("1 hour 30 minutes") == 5400 * kSec);
  CHECK(parse_duration_us("interval 10 minutes") == 600 * kSec);
  CHECK(parse_duration_us("INTERVAL 1 day") == 86400 * kSec);
}

TEST_CASE("durations: malformed ones are rejected") {
  for (const char* bad : {"", " ", "ten", "10 parsecs", "-5s", "5 s s", "1..5s", ".s", "s", "10 minutes 5",
                          "5 5", "1e3s", "interval", "99999999999999999999 days", "100000000000 weeks", "5s,"})
    CHECK_MESSAGE(parse_duration_us(bad) == -1, bad);
}

TEST_CASE("Node: positions are 1-based file:line:col") {
  Node root = parse("a: 1\nb:\n  c:   hello\n  d: [x, y]\n");
  CHECK(root["b"]["c"].where() == "f.yaml:3:8");
  CHECK(root["b"]["c"].path() == "b.c");
  CHECK(root["b"]["d"].items()[1].where() == "f.yaml:4:10");
  CHECK(root["b"]["d"].items()[1].path() == "b.d[1]");
  CHECK(root["b"].key("c").where() == "f.yaml:3:3");
  // A missing key points at its parent.
  CHECK(root["b"]["zz"].where() == root["b"].where());
  CHECK(root["b"]["zz"].path() == "b.zz");
  CHECK_FALSE(root["b"]["zz"].defined());
}

TEST_CASE("Node: typed access names what was expected and found") {
  Node root = parse("n: 12\nx: 1.5\nb: yes\nt: ten\nl: [1]\nm: {k: v}\nd: 10 minutes\nnull_value:\nbig: 99999999999999999999\n");
  CHECK(root["n"].integer() == 12);
  CHECK(root["x"].number() == 1.5);
  CHECK(root["n"].number() == 12.0);
  CHECK(root["b"].boolean());
  CHECK(root["d"].duration_us() == 600 * kSec);
  CHECK(root["n"].duration_us() == 12 * kSec);

  auto msg = [](auto f) { return catch_error(f).message; };
  CHECK(msg([&] { root["t"].duration_us(); }) ==
        "f.yaml:4:4: t: expected a duration like '10 minutes' or '5s', got 'ten'");
  CHECK(msg([&] { root["t"].integer(); }) == "f.yaml:4:4: t: expected an integer, got 'ten'");
  CHECK(msg([&] { root["x"].integer(); }) == "f.yaml:2:4: x: expected an integer, got '1.5'");
  CHECK(msg([&] { root["big"].integer(); }).find("out of range") != std::string::npos);
  CHECK(msg([&] { root["t"].number(); }) == "f.yaml:4:4: t: expected a number, got 'ten'");
  CHECK(msg([&] { root["t"].boolean(); }) == "f.yaml:4:4: t: expected true or false, got 'ten'");
  CHECK(msg([&] { root["l"].str(); }) == "f.yaml:5:4: l: expected a string, got a list");
  CHECK(msg([&] { root["m"].items(); }) == "f.yaml:6:4: m: expected a list, got a map");
  CHECK(msg([&] { root["l"].entries(); }) == "f.yaml:5:4: l: expected a map, got a list");
  CHECK(msg([&] { root["null_value"].str(); }).find("expected a string, got nothing") != std::string::npos);
  CHECK(catch_error([&] { root["t"].integer(); }).kind == ErrorKind::Config);
}

TEST_CASE("Node: choice is case-insensitive, returns the listed spelling, suggests near misses") {
  Node root = parse("a: UPDATE\nb: apend\nc: zzz\n");
  CHECK(root["a"].choice({"append", "update", "complete"}) == "update");
  CHECK(catch_error([&] { root["b"].choice({"append", "update", "complete"}); }).message ==
        "f.yaml:2:4: b: expected one of append|update|complete, got 'apend' (did you mean 'append'?)");
  CHECK(catch_error([&] { root["c"].choice({"append", "update"}); }).message ==
        "f.yaml:3:4: c: expected one of append|update, got 'zzz'");
}

TEST_CASE("Node: strings, required, check_keys, duplicate keys") {
  Node root = parse("one: a\nmany: [a, b]\nm:\n  type: x\n  tpye: y\n");
  CHECK(root["one"].strings() == std::vector<std::string>{"a"});
  CHECK(root["many"].strings() == std::vector<std::string>{"a", "b"});
  CHECK(root["m"].required("type").str() == "x");
  CHECK(catch_error([&] { root["m"].required("path"); }).message ==
        "f.yaml:4:3: m: missing required field 'path'");
  CHECK(catch_error([&] { root["m"].check_keys({"type", "path"}); }).message ==
        "f.yaml:5:3: m.tpye: unknown key 'tpye' (did you mean 'type'?); allowed: type, path");

  Node dup = parse("a: 1\nb: 2\na: 3\n");
  CHECK(catch_error([&] { dup.entries(); }).message == "f.yaml:3:1: a: duplicate key 'a' (first at f.yaml:1:4)");
}

TEST_CASE("substitute_env: set, unset, default, $$") {
  ::setenv("RUNNEL_T_SET", "value", 1);
  ::setenv("RUNNEL_T_EMPTY", "", 1);
  ::unsetenv("RUNNEL_T_UNSET");
  auto sub = [](const char* text) { return substitute_env(text, [](const std::string&) {}); };
  CHECK(sub("a ${RUNNEL_T_SET} b") == "a value b");
  CHECK(sub("${RUNNEL_T_SET}${RUNNEL_T_SET}") == "valuevalue");
  CHECK(sub("${RUNNEL_T_UNSET:-dflt}") == "dflt");
  CHECK(sub("${RUNNEL_T_UNSET:-}") == "");
  CHECK(sub("${RUNNEL_T_SET:-dflt}") == "value");
  CHECK(sub("${RUNNEL_T_EMPTY:-dflt}") == "dflt");  // like the shell's :-
  CHECK(sub("${RUNNEL_T_EMPTY}") == "");
  CHECK(sub("$$") == "$");
  CHECK(sub("$${RUNNEL_T_SET}") == "${RUNNEL_T_SET}");
  CHECK(sub("cost $5 $") == "cost $5 $");
  CHECK(sub("no vars") == "no vars");

  std::string unset_name;
  auto e = catch_error([&] { substitute_env("${RUNNEL_T_UNSET}", [&](const std::string& n) { unset_name = n; }); });
  CHECK(unset_name == "RUNNEL_T_UNSET");
  CHECK(e.kind == ErrorKind::Config);
  CHECK(catch_error([&] { sub("${RUNNEL_T_SET"); }).message.find("unterminated") != std::string::npos);
  CHECK(catch_error([&] { sub("${1BAD}"); }).message.find("bad variable reference") != std::string::npos);
  CHECK(catch_error([&] { sub("${}"); }).kind == ErrorKind::Config);
}

TEST_CASE("Node: ${VAR} applies to every scalar read, with the position on error") {
  ::setenv("RUNNEL_T_N", "42", 1);
  ::unsetenv("RUNNEL_T_UNSET");
  Node root = parse("n: ${RUNNEL_T_N}\nd: \"${RUNNEL_T_N} ms\"\nu: x${RUNNEL_T_UNSET}\n");
  CHECK(root["n"].integer() == 42);
  CHECK(root["d"].duration_us() == 42000);
  CHECK(catch_error([&] { root["u"].str(); }).message ==
        "f.yaml:3:4: u: environment variable 'RUNNEL_T_UNSET' is not set");
}

TEST_CASE("closest_match") {
  CHECK(closest_match("wehre", {"select", "where", "filter"}) == "where");
  CHECK(closest_match("xyz", {"select", "where"}) == "");
  CHECK(closest_match("a", {"b"}) == "");  // a one-letter word is not a near miss of another
}
