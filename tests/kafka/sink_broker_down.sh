#!/usr/bin/env bash
# The brokers stop and come back while the kafka sink runs: the batch's
# commit waits (librdkafka retries), nothing is lost, and the idempotent
# producer writes nothing twice.
source "$(dirname "$0")/lib.sh"
start_cluster out:2
cat > p.yaml <<'YAML'
version: 1
sources:
  in: {type: stdin, format: text}
sinks:
  out: {from: in, type: kafka, bootstrap_servers: "${BOOTSTRAP}", topic: out, value: value, delivery_timeout: 30 s}
YAML
mkfifo input
"$runnel" run p.yaml < input 2> err &
pid=$!
exec 5> input
printf 'a\nb\n' >&5
read_out() { timeout 20 kcat -C -b "$bootstrap" -t out -e -q -f '%s\n' | sort | tr '\n' ' '; }
for _ in $(seq 100); do [[ $(read_out) == "a b " ]] && break; sleep 0.1; done
expect_equal "before the outage" "a b " "$(read_out)"
for b in 1 2 3; do cluster down $b; done
printf 'c\nd\n' >&5
sleep 2
for b in 1 2 3; do cluster up $b; done
printf 'e\n' >&5
exec 5>&-
wait $pid || fail "runnel failed: $(cat err)"
expect_equal "every record once across the outage" "a b c d e " "$(read_out)"
echo ok
