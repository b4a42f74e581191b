#!/usr/bin/env bash
# Brokers down: at the start the source retries with a doubling backoff,
# logging each attempt, and past fetch_offset_num_retries stops with exit 69;
# brokers that go away mid-run and come back lose and duplicate nothing.
source "$(dirname "$0")/lib.sh"
start_cluster events:2
cat > p.yaml <<'YAML'
version: 1
trigger: {processing_time: 200 ms}
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: events, starting_offsets: earliest, format: text,
       fetch_offset_num_retries: 2, fetch_offset_retry_interval: 100 ms, request_timeout: 1 s}
sinks:
  out: {from: in, type: stdout, format: text}
YAML
expect_failure 69 "giving up after 3 attempt(s)" timeout 30 "$runnel" run p.yaml --set sources.in.bootstrap_servers=127.0.0.1:1
grep -q "retry 1 of 2 in 100 ms" failure.err || fail "no retry log line: $(cat failure.err)"
grep -q "retry 2 of 2 in 200 ms" failure.err || fail "no backoff: $(cat failure.err)"

printf 'a\nb\n' | produce events 0
"$runnel" run p.yaml --set sources.in.fetch_offset_num_retries=100 > out 2> err &
pid=$!
wait_rows out 2
for b in 1 2 3; do cluster down $b; done
sleep 2
for b in 1 2 3; do cluster up $b; done
printf 'c\n' | produce events 1
printf 'd\n' | produce events 0
wait_rows out 4
sleep 0.5
kill -TERM $pid
wait $pid
expect_equal "every record once across the outage" "a b c d " "$(sort out | tr '\n' ' ')"
echo ok
