#!/usr/bin/env bash
# Partitions that appear mid-run are read from their start: a topic matching
# subscribe_pattern, and a subscribed topic that did not exist at the start.
# (The mock cluster cannot add partitions to an existing topic: it has no
# CreatePartitions.)
source "$(dirname "$0")/lib.sh"
start_cluster ev1:1
cat > p.yaml <<'YAML'
version: 1
trigger: {processing_time: 200 ms}
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe_pattern: "ev[0-9]+", starting_offsets: earliest,
       format: text}
sinks:
  out: {from: in, type: stdout, format: text}
YAML
printf 'a\nb\n' | produce ev1 0
"$runnel" run p.yaml > pattern.out 2> pattern.err &
pid=$!
wait_rows pattern.out 2
cluster topic ev2 2
cluster topic other 1
printf 'c\n' | produce ev2 0
printf 'd\n' | produce ev2 1
printf 'x\n' | produce other 0
wait_rows pattern.out 4
sed 's/subscribe_pattern: "ev\[0-9\]+"/subscribe: [ev1, ev3]/' p.yaml > list.yaml
"$runnel" run list.yaml > list.out 2> list.err &
pid2=$!
wait_rows list.out 2
cluster topic ev3 2
printf 'e\n' | produce ev3 1
wait_rows pattern.out 5
wait_rows list.out 3
sleep 0.5
kill -TERM $pid $pid2
wait $pid $pid2
expect_equal "pattern: every record once" "a b c d e " "$(sort pattern.out | tr '\n' ' ')"
expect_equal "list: every record once" "a b e " "$(sort list.out | tr '\n' ' ')"
echo ok
