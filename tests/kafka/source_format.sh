#!/usr/bin/env bash
# With `format: json` each record's value is parsed into the schema's columns
# by the file readers; where/select run on them; malformed values go to the
# dead-letter file at their topic, partition and offset (drop_malformed), and
# under fail_fast stop the run with exit 65 naming the record's offset.
source "$(dirname "$0")/lib.sh"
start_cluster events:2
printf '{"user":"a","n":1}\n{"user":"b","n":5}\nnot json\n{"user":"c","n":7}\n' | produce events 0
printf '{"user":"d","n":9}\n{"user":"e",\n' | produce events 1
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
sources:
  in:
    type: kafka
    bootstrap_servers: "${BOOTSTRAP}"
    subscribe: [events]
    starting_offsets: earliest
    format: json
    schema: "user STRING, n INT"
    mode: drop_malformed
    dead_letter: bad.jsonl
transforms:
  t: {from: in, steps: [{where: "n > 2"}, {select: [user, "n * 10 AS n10"]}]}
sinks:
  out: {from: t, type: stdout, format: json}
YAML
got=$("$runnel" run p.yaml 2>err | sort)
expect_equal "parsed, filtered rows" '{"user":"b","n10":50}
{"user":"c","n10":70}
{"user":"d","n10":90}' "$got"
got=$(python3 -c '
import json, sys
for line in open("bad.jsonl"):
    d = json.loads(line)
    p = d["position"]
    print(d["source"], p["topic"], p["partition"], p["offset"], d["record"])' | sort)
expect_equal "dead letters at their offsets" 'in events 0 2 not json
in events 1 1 {"user":"e",' "$got"
grep -q "2 malformed record(s) in batch 0" err || fail "no malformed count in the log: $(cat err)"

code=0
"$runnel" run p.yaml --set sources.in.mode=fail_fast > /dev/null 2> err || code=$?
expect_equal "fail_fast exit code" 65 "$code"
grep -qE "source 'in': topic 'events' partition (0 offset 2|1 offset 1) column" err || fail "fail_fast message: $(cat err)"
echo ok
