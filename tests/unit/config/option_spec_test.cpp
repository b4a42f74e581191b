#include <doctest.h>

#include "config/option_spec.hpp"
#include "config_test_util.hpp"

using namespace runnel;
using namespace runnel::config;
using runnel::config::testing::catch_error;

namespace {

const OptionTable kTable = {
    {"path", OptionType::Path, "directory or glob to read", "", true},
    {"max_files_per_trigger", OptionType::Int, "files per batch"},
    {"ratio", OptionType::Double, "a ratio"},
    {"latest_first", OptionType::Bool, "newest files first", "false"},
    {"max_file_age", OptionType::Duration, "ignore older files", "7 days"},
    {"partition_by", OptionType::StringList, "partition columns"},
    {"schema", OptionType::Schema, "columns"},
    {"clean_source", OptionType::Choice, "after commit", "off", false, {"off", "archive", "delete"}},
    {"name", OptionType::String, "a name"},
    {"extra", OptionType::Any, "anything"},
    {"kafka.*", OptionType::String, "passed to librdkafka"},
};

std::string check(const std::string& yaml) {
  Node node(YAML::Load(yaml), std::make_shared<const std::string>("f.yaml"), "sources.in");
  return catch_error([&] { validate_options(node, {&kTable}, {"type"}); }).message;
}

}  // namespace

TEST_CASE("validate_options: accepts every option type") {
  CHECK(check("type: file\npath: in/\nmax_files_per_trigger: 3\nratio: 0.5\nlatest_first: true\n"
              "max_file_age: 2 days\npartition_by: [a, b]\nschema: {a: string}\nclean_source: Archive\n"
              "name: x\nextra: {any: [thing]}\nkafka.security.protocol: SSL\n") == "");
  CHECK(check("path: in/\nschema: \"a STRING, b INT\"\npartition_by: a\n") == "");
}

TEST_CASE("validate_options: errors name the key, what was expected and what was found") {
  CHECK(check("path: x\nmax_file_age: ten\n") ==
        "f.yaml:2:15: sources.in.max_file_age: expected a duration like '10 minutes' or '5s', got 'ten'");
  CHECK(check("path: x\nmax_files_per_trigger: lots\n") ==
        "f.yaml:2:24: sources.in.max_files_per_trigger: expected an integer, got 'lots'");
  CHECK(check("path: x\nratio: half\n") == "f.yaml:2:8: sources.in.ratio: expected a number, got 'half'");
  CHECK(check("path: x\nlatest_first: maybe\n") ==
        "f.yaml:2:15: sources.in.latest_first: expected true or false, got 'maybe'");
  CHECK(check("path: x\nclean_source: archiv\n") ==
        "f.yaml:2:15: sources.in.clean_source: expected one of off|archive|delete, got 'archiv' (did you mean "
        "'archive'?)");
  CHECK(check("path: x\npartition_by: {a: 1}\n") ==
        "f.yaml:2:15: sources.in.partition_by: expected a list of strings, got a map");
  CHECK(check("path: x\nschema: [a]\n") ==
        "f.yaml:2:9: sources.in.schema: expected a schema: a map {name: type} or a string \"name TYPE, ...\"");
  CHECK(check("path: x\nname: [a]\n") == "f.yaml:2:7: sources.in.name: expected a string, got a list");
  CHECK(check("path: \"\"\n") == "f.yaml:1:7: sources.in.path: expected a path, got an empty string");
  CHECK(check("path: x\nratio:\n").find("option 'ratio' has no value (expected number)") != std::string::npos);
  CHECK(check("path: x\nlatest_frist: true\n").rfind(
            "f.yaml:2:1: sources.in.latest_frist: unknown key 'latest_frist' (did you mean 'latest_first'?); allowed: "
            "type, path,",
            0) == 0);
  CHECK(check("path: x\nkafka: 1\n").find("unknown key 'kafka'") != std::string::npos);
  // A key matched by a "prefix.*" option is fine even before an unknown one.
  CHECK(check("path: x\nkafka.acks: all\nbogus: 1\n").rfind("f.yaml:3:1: sources.in.bogus: unknown key 'bogus'", 0) == 0);
  CHECK(check("type: file\n") == "f.yaml:1:1: sources.in: missing required option 'path' (directory or glob to read)");
  CHECK(check("[a]").find("expected a map, got a list") != std::string::npos);
}

TEST_CASE("option_type_name") {
  CHECK(option_type_name(kTable[0]) == "path");
  CHECK(option_type_name(kTable[4]) == "duration");
  CHECK(option_type_name(kTable[5]) == "list of strings");
  CHECK(option_type_name(kTable[7]) == "one of off|archive|delete");
}
