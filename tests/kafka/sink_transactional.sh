#!/usr/bin/env bash
# kafka -> select -> kafka with transactional: true, killed (kill -9) at each
# point of the commit protocol and at random moments, and restarted: every
# row arrives, transactions are fenced and restarted (init_transactions
# succeeds after a dead producer left one open), nothing is lost.
# What librdkafka's mock broker cannot show (so a re-run batch's rows appear
# twice here, and never more): its fetch responses carry no aborted
# transactions (a read_committed reader sees aborted records), and it does not
# keep offsets committed in a transaction (the sink's record of committed
# batches, so a batch re-run after a crash between the transaction's commit
# and the checkpoint's is not skipped). Against a real broker both hold.
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
  out: {from: t, type: kafka, bootstrap_servers: "${BOOTSTRAP}", topic: "${OUT}", transactional: true}
YAML
read_topic() { timeout 20 kcat -C -b "$bootstrap" -t "$OUT" -e -q -X isolation.level="$1" -f '%s\n' | sort; }
add_ids 30
for point in after_offsets after_sink_write after_sink_commit after_commit_marker; do
  export OUT=out_$point
  cluster topic "$OUT" 2
  rm -rf ckpt
  code=0
  RUNNEL_CRASH_AT=$point:2 "$runnel" run p.yaml 2> /dev/null || code=$?
  expect_equal "killed at $point" 137 "$code"
  "$runnel" run p.yaml
  expect_equal "crash at $point: every row" "$(expected_ids)" "$(read_topic read_committed | uniq)"
  extra=$(read_topic read_committed | uniq -d | wc -l)
  ((extra <= 7)) || fail "crash at $point: $extra rows twice, more than the re-run batch's 7"
  (($(read_topic read_committed | uniq -c | awk '$1 > 2' | wc -l) == 0)) || fail "crash at $point: a row three times"
done
expect_equal "the aborted batch's 6 flushed records (30 over 3 partitions, 7 a batch: 2 each) are in the log" 6 \
  "$(OUT=out_after_sink_write read_topic read_uncommitted | uniq -d | wc -l)"

export OUT=out_random
cluster topic "$OUT" 1
rm -rf ckpt
kill_at_random 8 11
expect_equal "random kills: every row" "$(expected_ids)" "$(read_topic read_committed | uniq)"
expect_failure 78 "transactional: true needs a checkpoint" "$runnel" validate p.yaml --set checkpoint=
echo ok
