#include <doctest.h>

#include <cstdlib>

#include "config_test_util.hpp"

using namespace runnel;
using namespace runnel::config;
using namespace runnel::config::testing;

TEST_CASE("load_pipeline: the contract's example loads") {
  TempDir dir;
  std::string file = dir.write("clicks.yaml", R"(version: 1
checkpoint: state/clicks
trigger: {processing_time: 5 seconds}
watermark_policy: max
sources:
  clicks:
    type: file
    path: incoming/clicks/
    format: json
    schema: {user: string, url: string, ts: timestamp, bytes: long}
tables:
  users: {type: file, path: users.csv, format: csv, header: true, schema: "id STRING, country STRING"}
transforms:
  checkout:
    from: clicks
    steps:
      - where: "url LIKE '/checkout%'"
      - watermark: {column: ts, delay: 10 minutes}
      - aggregate:
          group_by: [url, "window(ts, '1 minute') AS window"]
          aggregates: ["count(*) AS clicks", "sum(bytes) AS bytes"]
sinks:
  out:
    from: checkout
    type: file
    path: out/checkout/
    format: json
    output_mode: append
)");
  PipelineConfig p = load_pipeline(file);
  CHECK(p.name == "clicks");
  CHECK(p.checkpoint == (dir.path() / "state/clicks").string());
  CHECK(p.trigger.kind == TriggerKind::ProcessingTime);
  CHECK(p.trigger.interval_us == 5000000);
  CHECK(p.watermark_policy == "max");
  REQUIRE(p.sources.size() == 1);
  CHECK(p.sources[0].name == "clicks");
  CHECK(p.sources[0].type == "file");
  CHECK(p.resolve_path(p.sources[0].node["path"].str()) == (dir.path() / "incoming/clicks/").string());
  REQUIRE(p.tables.size() == 1);
  CHECK(p.tables[0].name == "users");
  REQUIRE(p.transforms.size() == 1);
  CHECK(p.transforms[0].from == "clicks");
  REQUIRE(p.transforms[0].steps.size() == 3);
  CHECK(p.transforms[0].steps[0].kind == "where");
  CHECK(p.transforms[0].steps[0].value.str() == "url LIKE '/checkout%'");
  CHECK(p.transforms[0].steps[2].kind == "aggregate");
  CHECK(p.transforms[0].steps[2].value.path() == "transforms.checkout.steps[2].aggregate");
  REQUIRE(p.sinks.size() == 1);
  CHECK(p.sinks[0].from == "checkout");
  CHECK(p.sinks[0].output_mode == "append");
  CHECK(p.resolve_path("-") == "-");
  CHECK(p.resolve_path("/abs/x") == "/abs/x");
}

TEST_CASE("load_pipeline: defaults") {
  TempDir dir;
  PipelineConfig p = load_pipeline(dir.write("my-pipe.yaml", kMinimal));
  CHECK(p.name == "my-pipe");
  CHECK(p.checkpoint.empty());
  CHECK(p.trigger.kind == TriggerKind::ProcessingTime);
  CHECK(p.trigger.interval_us == 0);
  CHECK(p.watermark_policy == "min");
  CHECK(p.sinks[0].output_mode == "append");
  CHECK(p.transforms.empty());
  CHECK(p.tables.empty());
}

TEST_CASE("load_pipeline: a missing file is NoInput, a directory too") {
  TempDir dir;
  Caught c = catch_error([&] { load_pipeline((dir.path() / "nope.yaml").string()); });
  CHECK(c.kind == ErrorKind::NoInput);
  CHECK(c.message.find("nope.yaml: no such file") != std::string::npos);
  CHECK(catch_error([&] { load_pipeline(dir.path().string()); }).kind == ErrorKind::NoInput);
}

TEST_CASE("load_pipeline: YAML syntax errors are config errors with a position") {
  Caught c = load_error("version: 1\nsources: {a: [1, 2}\n");
  CHECK(c.kind == ErrorKind::Config);
  CHECK(c.message.rfind("p.yaml:2:", 0) == 0);
  c = load_error("version: 1\n  bad indent: x\n");
  CHECK(c.kind == ErrorKind::Config);
  CHECK(c.message.rfind("p.yaml:", 0) == 0);
  // Deep nesting is refused by yaml-cpp's depth guard, not a stack overflow.
  CHECK(load_error(std::string(100000, '[')).kind == ErrorKind::Config);
}

TEST_CASE("load_pipeline: top-level errors name file:line:col") {
  CHECK(load_error("").message == "p.yaml:1:1: missing required field 'version'");
  CHECK(load_error("- a\n").message ==
        "p.yaml:1:1: expected a map of top-level keys (version, sources, transforms, sinks, ...)");
  CHECK(load_error(std::string(kMinimal) + "sinkz: {}\n").message ==
        "p.yaml:6:1: sinkz: unknown key 'sinkz' (did you mean 'sinks'?); allowed: version, name, checkpoint, "
        "min_batches_to_retain, state_memory_limit, trigger, watermark_policy, sources, tables, transforms, sinks");
  CHECK(load_error(std::string(kMinimal) + "min_batches_to_retain: 0\n").message ==
        "p.yaml:6:24: min_batches_to_retain: must be at least 1 (the last committed batch is always kept)");
  CHECK(load_error("version: 2\nsources: {}\n").message ==
        "p.yaml:1:10: version: unsupported version 2; this runnel reads version 1");
  CHECK(load_error("version: one\n").message == "p.yaml:1:10: version: expected an integer, got 'one'");
  CHECK(load_error("version: 1\nsinks: {out: {from: a, type: console}}\n").message ==
        "p.yaml:1:1: missing required section 'sources'");
  CHECK(load_error("version: 1\nsources: {}\n").message == "p.yaml:2:10: sources: expected at least one entry");
  CHECK(load_error("version: 1\nsources: {in: {type: stdin}}\n").message ==
        "p.yaml:1:1: missing required section 'sinks'");
  CHECK(load_error("version: 1\nsources:\n  in: stdin\nsinks: {}\n").message ==
        "p.yaml:3:7: sources.in: expected a map of options like {type: ...}");
  CHECK(load_error("version: 1\nsources:\n  in: {format: json}\nsinks: {}\n").message ==
        "p.yaml:3:7: sources.in: missing required field 'type'");
  CHECK(load_error(std::string(kMinimal) + "watermark_policy: avg\n").message ==
        "p.yaml:6:19: watermark_policy: expected one of min|max, got 'avg'");
}

TEST_CASE("load_pipeline: sinks and transforms shape") {
  const char* head = "version: 1\nsources:\n  in: {type: stdin}\n";
  CHECK(load_error(std::string(head) + "sinks:\n  out: {type: console}\n").message ==
        "p.yaml:5:8: sinks.out: missing required field 'from'");
  CHECK(load_error(std::string(head) + "sinks:\n  out: {from: in}\n").message ==
        "p.yaml:5:8: sinks.out: missing required field 'type'");
  CHECK(load_error(std::string(head) + "sinks:\n  out: {from: in, type: console, output_mode: upsert}\n").message ==
        "p.yaml:5:47: sinks.out.output_mode: expected one of append|update|complete, got 'upsert'");
  std::string sink = "sinks:\n  out: {from: t, type: console}\n";
  CHECK(load_error(std::string(head) + "transforms:\n  t: {steps: []}\n" + sink).message ==
        "p.yaml:5:6: transforms.t: missing required field 'from'");
  CHECK(load_error(std::string(head) + "transforms:\n  t: {from: in, stpes: []}\n" + sink).message ==
        "p.yaml:5:17: transforms.t.stpes: unknown key 'stpes' (did you mean 'steps'?); allowed: from, steps");
  CHECK(load_error(std::string(head) + "transforms:\n  t:\n    from: in\n    steps:\n      - where: a\n"
                                       "        select: [b]\n" + sink)
            .message == "p.yaml:8:9: transforms.t.steps[0]: a step is a map with one key, like `- where: EXPR`; "
                        "got 2 keys");
  CHECK(load_error(std::string(head) + "transforms:\n  t:\n    from: in\n    steps:\n      - a > 1\n" + sink).message ==
        "p.yaml:8:9: transforms.t.steps[0]: a step is a map with one key, like `- where: EXPR`");
  CHECK(load_error(std::string(head) + "transforms:\n  t:\n    from: in\n    steps: {where: x}\n" + sink).message ==
        "p.yaml:7:12: transforms.t.steps: expected a list, got a map");
  // No steps at all is an identity transform.
  TempDir dir;
  PipelineConfig p = load_pipeline(dir.write("p.yaml", std::string(head) + "transforms:\n  t: {from: in}\n" + sink));
  CHECK(p.transforms[0].steps.empty());
}

TEST_CASE("load_pipeline: names, from, cycles") {
  const char* head = "version: 1\nsources:\n  in: {type: stdin}\n";
  CHECK(load_error(std::string(head) + "transforms:\n  in: {from: in}\nsinks:\n  out: {from: in, type: console}\n")
            .message.rfind("p.yaml:5:3: transforms.in: name 'in' is already used by source 'in' at ", 0) == 0);
  CHECK(load_error(std::string(head) + "sources:\n  x: {type: stdin}\nsinks:\n  out: {from: in, type: console}\n")
            .message.find("duplicate key 'sources'") != std::string::npos);
  CHECK(load_error(std::string(head) + "sinks:\n  o: {from: in, type: console}\n  o: {from: in, type: console}\n")
            .message.find("duplicate key 'o'") != std::string::npos);
  CHECK_NOTHROW(load_pipeline_text(std::string(head) + "sinks:\n  in: {from: in, type: console}\n", "p.yaml"));
  CHECK(load_error(std::string(head) + "sinks:\n  out: {from: inn, type: console}\n").message ==
        "p.yaml:5:15: sinks.out.from: unknown source or transform 'inn' (did you mean 'in'?)");
  CHECK(load_error(std::string(head) + "tables:\n  users: {type: file, path: u.csv}\n"
                                       "sinks:\n  out: {from: users, type: console}\n")
            .message.rfind("p.yaml:7:15: sinks.out.from: 'users' is a table, not a stream", 0) == 0);
  CHECK(load_error(std::string(head) + "sinks:\n  a: {from: in, type: console}\n  b: {from: a, type: console}\n")
            .message == "p.yaml:6:13: sinks.b.from: 'a' is a sink; `from` names a source or transform");
  CHECK(load_error(std::string(head) + "transforms:\n  t: {from: t}\nsinks:\n  out: {from: t, type: console}\n")
            .message == "p.yaml:5:13: transforms.t.from: transforms read from each other in a cycle: t -> t");
  CHECK(load_error(std::string(head) +
                   "transforms:\n  a: {from: in}\n  b: {from: c}\n  c: {from: d}\n  d: {from: b}\n"
                   "sinks:\n  out: {from: a, type: console}\n")
            .message == "p.yaml:6:13: transforms.b.from: transforms read from each other in a cycle: b -> c -> d -> b");
}

TEST_CASE("load_pipeline: trigger forms") {
  TempDir dir;
  auto trigger = [&](const std::string& t) { return load_pipeline(dir.write("p.yaml", kMinimal + t)).trigger; };
  CHECK(trigger("trigger: once\n").kind == TriggerKind::Once);
  CHECK(trigger("trigger: available_now\n").kind == TriggerKind::AvailableNow);
  CHECK(trigger("trigger: Available_Now\n").kind == TriggerKind::AvailableNow);
  CHECK(trigger("trigger: {once: true}\n").kind == TriggerKind::Once);
  Trigger pt = trigger("trigger: {processing_time: 1 minute}\n");
  CHECK(pt.kind == TriggerKind::ProcessingTime);
  CHECK(pt.interval_us == 60000000);
  Trigger ct = trigger("trigger:\n  continuous: 500ms\n");
  CHECK(ct.kind == TriggerKind::Continuous);
  CHECK(ct.interval_us == 500000);

  CHECK(load_error(std::string(kMinimal) + "trigger: twice\n").message ==
        "p.yaml:6:10: trigger: expected one of once|available_now, got 'twice'");
  CHECK(load_error(std::string(kMinimal) + "trigger: {processing_time: soon}\n").message ==
        "p.yaml:6:28: trigger.processing_time: expected a duration like '10 minutes' or '5s', got 'soon'");
  CHECK(load_error(std::string(kMinimal) + "trigger: {procesing_time: 1s}\n").message.rfind(
            "p.yaml:6:11: trigger.procesing_time: unknown key 'procesing_time' (did you mean 'processing_time'?)", 0) ==
        0);
  CHECK(load_error(std::string(kMinimal) + "trigger: {processing_time: 1s, continuous: 1s}\n").message.find(
            "(exactly one key)") != std::string::npos);
  CHECK(load_error(std::string(kMinimal) + "trigger: [once]\n").message.rfind("p.yaml:6:10: trigger: expected once", 0) ==
        0);
}

TEST_CASE("load_pipeline: ${VAR} in values") {
  ::setenv("RUNNEL_T_DIR", "/data/in", 1);
  ::unsetenv("RUNNEL_T_MISSING");
  TempDir dir;
  PipelineConfig p = load_pipeline(dir.write("p.yaml", R"(version: 1
name: ${RUNNEL_T_MISSING:-fallback}
sources:
  in: {type: file, path: "${RUNNEL_T_DIR}/x"}
sinks:
  out: {from: in, type: console}
)"));
  CHECK(p.name == "fallback");
  CHECK(p.sources[0].node["path"].str() == "/data/in/x");
  CHECK(load_error(std::string(kMinimal) + "checkpoint: ${RUNNEL_T_MISSING}/state\n").message ==
        "p.yaml:6:13: checkpoint: environment variable 'RUNNEL_T_MISSING' is not set");
}

TEST_CASE("load_pipeline: --set overrides") {
  TempDir dir;
  std::string file = dir.write("p.yaml", R"(version: 1
sources:
  in: {type: file, path: a/}
transforms:
  t:
    from: in
    steps:
      - where: "x > 1"
      - select: [a, b]
sinks:
  out: {from: t, type: file, path: out/, partition_by: [a]}
)");
  // Replace a scalar; the value is resolved like one from the file.
  PipelineConfig p = load_pipeline(file, {"sinks.out.path=/tmp/x", "name=renamed"});
  CHECK(p.sinks[0].node["path"].str() == "/tmp/x");
  CHECK(p.name == "renamed");
  // New keys, nested, creating intermediate maps; trigger replaced wholesale.
  p = load_pipeline(file, {"trigger.processing_time=10 seconds", "checkpoint=st"});
  CHECK(p.trigger.interval_us == 10000000);
  CHECK(p.checkpoint == (dir.path() / "st").string());
  p = load_pipeline(file, {"trigger=once"});
  CHECK(p.trigger.kind == TriggerKind::Once);
  // List indexes, and flow syntax for lists/maps.
  p = load_pipeline(file, {"transforms.t.steps[0].where=x > 2", "sinks.out.partition_by=[a, b]"});
  CHECK(p.transforms[0].steps[0].value.str() == "x > 2");
  CHECK(p.sinks[0].node["partition_by"].strings() == std::vector<std::string>{"a", "b"});
  p = load_pipeline(file, {"transforms.t.steps[2]={drop: [b]}"});
  REQUIRE(p.transforms[0].steps.size() == 3);
  CHECK(p.transforms[0].steps[2].kind == "drop");
  // Quoted values are YAML scalars; a plain value is taken verbatim.
  p = load_pipeline(file, {"name='a: b'", "sources.in.path=x: y"});
  CHECK(p.name == "a: b");
  CHECK(p.sources[0].node["path"].str() == "x: y");

  // An error in an overridden value names the --set path.
  Caught c = catch_error([&] { load_pipeline(file, {"sinks.out.output_mode=upsert"}); });
  CHECK(c.message == "--set sinks.out.output_mode: expected one of append|update|complete, got 'upsert'");
  c = catch_error([&] { load_pipeline(file, {"trigger.processing_time=soon"}); });
  CHECK(c.message.rfind("--set trigger.processing_time: expected a duration", 0) == 0);

  // Malformed assignments are usage errors.
  for (const char* bad : {"no-equals", "=x", "a..b=x", "steps[x]=1", "a[1=2", "transforms.t.steps[5].where=x",
                          "sources.in[0]=x", "name=[unclosed"}) {
    Caught u = catch_error([&] { load_pipeline(file, {bad}); });
    CHECK_MESSAGE(u.kind == ErrorKind::Usage, bad);
    CHECK_MESSAGE(u.message.rfind("--set ", 0) == 0, bad);
  }
}
