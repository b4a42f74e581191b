#!/usr/bin/env bash
# max_offsets_per_trigger splits the limit over the partitions in proportion
# to their lag (Spark's rateLimit): 7 and 2 records, limit 4 ->
# batch 0: 4*7/9 = 3.1 -> 3 and 4*2/9 = 0.9 -> 1 (below 1 rounds up);
# batch 1: lags 4 and 1 -> 3.2 -> 3 and 0.8 -> 1; batch 2: lag 1 -> 1.
# Under trigger once the limit does not apply (as Spark's Trigger.Once).
source "$(dirname "$0")/lib.sh"
start_cluster events:2
seq 1 7 | produce events 0
seq 8 9 | produce events 1
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
checkpoint: ckpt
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", assign: '{"events": [0, 1]}', starting_offsets: earliest,
       max_offsets_per_trigger: 4, format: text}
sinks:
  out: {from: in, type: stdout, format: text}
YAML
got=$("$runnel" run p.yaml --progress-log progress.jsonl | sort -n | tr '\n' ' ')
expect_equal "every record once" "1 2 3 4 5 6 7 8 9 " "$got"
sizes=$(python3 -c '
import json
for line in open("progress.jsonl"):
    d = json.loads(line)
    print(d["batchId"], d["numInputRows"], json.dumps(d["sources"][0]["endOffset"], sort_keys=True))')
expect_equal "batch sizes and end offsets" '0 4 {"events": {"0": 3, "1": 1}}
1 4 {"events": {"0": 6, "1": 2}}
2 1 {"events": {"0": 7, "1": 2}}' "$sizes"
rm -rf ckpt progress.jsonl
"$runnel" run p.yaml --set trigger=once --progress-log progress.jsonl > /dev/null
expect_equal "trigger once takes all" "0 9" "$(python3 -c '
import json
for line in open("progress.jsonl"):
    d = json.loads(line); print(d["batchId"], d["numInputRows"])')"
echo ok
