#!/usr/bin/env bash
# JSON values into a windowed aggregation written to files, in the cron mode:
# available_now runs with a checkpoint, records arriving between them; the
# second run reads only the new records, and the output of all runs is that
# of one run over everything.
source "$(dirname "$0")/lib.sh"
start_cluster clicks:2 all:2
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
checkpoint: ckpt
sources:
  clicks:
    type: kafka
    bootstrap_servers: "${BOOTSTRAP}"
    subscribe: clicks
    starting_offsets: earliest
    format: json
    schema: {ts: timestamp, url: string, bytes: long}
transforms:
  per_minute:
    from: clicks
    steps:
      - watermark: {column: ts, delay: 30 seconds}
      - aggregate:
          group_by: [url, "window(ts, '1 minute') AS window"]
          aggregates: ["count(*) AS clicks", "sum(bytes) AS bytes"]
sinks:
  out: {from: per_minute, type: file, path: out/, format: json}
YAML
# record MINUTE SECOND URL BYTES
record() { printf '{"ts":"2026-01-01T00:%02d:%02dZ","url":"%s","bytes":%d}\n' "$@"; }
first() { record 0 10 /a 1; record 0 20 /b 2; record 0 50 /a 3; record 1 5 /a 4; }
second() { record 1 40 /b 5; record 2 10 /a 6; record 3 0 /a 7; }
first | produce clicks 0
first | produce all 0
"$runnel" run p.yaml --progress-log run1.jsonl
second | produce clicks 1
second | produce all 1
"$runnel" run p.yaml --progress-log run2.jsonl
rows() { python3 -c 'import json,sys; print(sum(json.loads(l)["numInputRows"] for l in open(sys.argv[1])))' "$1"; }
expect_equal "first run's input" 4 "$(rows run1.jsonl)"
expect_equal "second run reads only the new records" 3 "$(rows run2.jsonl)"
"$runnel" run p.yaml --set checkpoint=ref/ckpt --set sinks.out.path=ref/out --set sources.clicks.subscribe=all
expect_equal "two runs = one run" "$(file_rows ref/out)" "$(file_rows out)"
expect_equal "closed windows" \
'{"url":"/a","window":{"start":"2026-01-01T00:00:00.000Z","end":"2026-01-01T00:01:00.000Z"},"clicks":2,"bytes":4}
{"url":"/a","window":{"start":"2026-01-01T00:01:00.000Z","end":"2026-01-01T00:02:00.000Z"},"clicks":1,"bytes":4}
{"url":"/b","window":{"start":"2026-01-01T00:00:00.000Z","end":"2026-01-01T00:01:00.000Z"},"clicks":1,"bytes":2}
{"url":"/b","window":{"start":"2026-01-01T00:01:00.000Z","end":"2026-01-01T00:02:00.000Z"},"clicks":1,"bytes":5}' "$(file_rows out)"
echo ok
