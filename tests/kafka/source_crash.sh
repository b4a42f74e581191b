#!/usr/bin/env bash
# kill -9 and restart with a checkpoint, kafka -> select -> file: the output
# holds every record exactly once. First at each named point of the commit
# protocol, then at random moments while records keep arriving. Then
# kafka -> windowed aggregation -> file killed at each point (the state's
# too): the output is that of an uninterrupted run.
source "$(dirname "$0")/lib.sh"
start_cluster in:3
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
checkpoint: ckpt
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: in, starting_offsets: earliest,
       max_offsets_per_trigger: 7, format: json, schema: "id LONG"}
transforms:
  t: {from: in, steps: [{select: ["id", "id * 2 AS twice"]}]}
sinks:
  out: {from: t, type: file, path: out/, format: json}
YAML
add_ids 30
for point in after_offsets after_sink_write after_sink_commit after_commit_marker; do
  rm -rf ckpt out
  code=0
  RUNNEL_CRASH_AT=$point:2 "$runnel" run p.yaml 2> /dev/null || code=$?
  expect_equal "killed at $point" 137 "$code"
  "$runnel" run p.yaml
  expect_equal "crash at $point: every record once" "$(expected_ids)" "$(file_rows out)"
done

rm -rf ckpt out
kill_at_random 8 7
expect_equal "random kills: every record once" "$(expected_ids)" "$(file_rows out)"

cat > agg.yaml <<'YAML'
version: 1
trigger: available_now
checkpoint: ckpt
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: in, starting_offsets: earliest,
       max_offsets_per_trigger: 25, format: json, schema: "id LONG"}
transforms:
  t:
    from: in
    steps:
      - with_columns: {ts: "timestamp_seconds(id)"}
      - watermark: {column: ts, delay: 5 seconds}
      - aggregate: {group_by: ["window(ts, '10 seconds') AS w"], aggregates: ["count(*) AS n", "sum(id) AS total"]}
sinks:
  out: {from: t, type: file, path: out/, format: json}
YAML
rm -rf ckpt out
"$runnel" run agg.yaml --set checkpoint=ref/ckpt --set sinks.out.path=ref/out
[[ $(file_rows ref/out | wc -l) -gt 5 ]] || fail "the reference aggregation wrote too little: $(file_rows ref/out)"
for point in after_offsets after_sink_write after_sink_commit before_state_commit after_state_commit after_commit_marker; do
  rm -rf ckpt out
  code=0
  RUNNEL_CRASH_AT=$point:3 "$runnel" run agg.yaml 2> /dev/null || code=$?
  expect_equal "aggregation killed at $point" 137 "$code"
  "$runnel" run agg.yaml
  expect_equal "aggregation, crash at $point: the uninterrupted run's rows" "$(file_rows ref/out)" "$(file_rows out)"
done
echo ok
