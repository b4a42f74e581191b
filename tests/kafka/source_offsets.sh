#!/usr/bin/env bash
# starting_offsets (earliest, latest by default, JSON with -2/-1 per
# partition) and ending_offsets (the stream ends there, exit 0).
source "$(dirname "$0")/lib.sh"
start_cluster events:3
for p in 0 1 2; do printf 'p%d-0\np%d-1\np%d-2\n' $p $p $p | produce events $p; done
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: events, format: text}
sinks:
  out: {from: in, type: stdout, format: text}
YAML
run() { "$runnel" run p.yaml "$@" | sort | tr '\n' ' '; }
expect_equal earliest "p0-0 p0-1 p0-2 p1-0 p1-1 p1-2 p2-0 p2-1 p2-2 " "$(run --set sources.in.starting_offsets=earliest)"
expect_equal "JSON with -2 and -1" "p0-1 p0-2 p1-0 p1-1 p1-2 " \
  "$(run --set 'sources.in.starting_offsets={"events":{"0":1,"1":-2,"2":-1}}')"

# latest (the default) with a checkpoint: the first run reads nothing, the next only what came after it.
expect_equal "latest, first run" "" "$(run --set checkpoint=ckpt)"
printf 'p1-3\n' | produce events 1
expect_equal "latest, second run" "p1-3 " "$(run --set checkpoint=ckpt)"
expect_equal "latest, third run" "" "$(run --set checkpoint=ckpt)"

# group_id: each batch's end offsets are committed to the group, which a
# group consumer (kcat -G) then starts from.
"$runnel" run p.yaml --set sources.in.starting_offsets=earliest --set sources.in.group_id=dashboard > /dev/null
printf 'p2-3\n' | produce events 2
got=$(timeout 30 kcat -b "$bootstrap" -G dashboard events -e -q -X auto.offset.reset=earliest -f '%s\n')
expect_equal "a group consumer starts at the committed offsets" "p2-3" "$got"

# ending_offsets: a stream that ends, under a processing-time trigger.
sed 's/trigger: available_now/trigger: {processing_time: 0}/' p.yaml > streaming.yaml
got=$(timeout 30 "$runnel" run streaming.yaml --set sources.in.starting_offsets=earliest \
  --set 'sources.in.ending_offsets={"events":{"0":2,"1":1,"2":-1}}' | sort | tr '\n' ' ')
expect_equal ending_offsets "p0-0 p0-1 p1-0 p2-0 p2-1 p2-2 p2-3 " "$got"
# The offsets a query started from are in the checkpoint: batch 0 re-run
# after a crash reads what it planned, not what is latest by then.
cluster topic late 1
printf 'a\n' | produce late 0
RUNNEL_CRASH_AT=after_offsets:0 "$runnel" run streaming.yaml --set sources.in.subscribe=late --set checkpoint=late_ckpt \
  > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -f late_ckpt/sources/in/initial ]] && break; sleep 0.1; done
printf 'b\nc\n' | produce late 0
code=0
wait $pid || code=$?
expect_equal "killed after batch 0's offsets" 137 "$code"
printf 'd\n' | produce late 0
expect_equal "batch 0 re-run as planned, then the rest" "b c d " \
  "$(run --set sources.in.subscribe=late --set checkpoint=late_ckpt)"

cluster topic empty 2
got=$(timeout 30 "$runnel" run streaming.yaml --set sources.in.subscribe=empty --set sources.in.ending_offsets=latest)
expect_equal "ending_offsets: latest on an empty topic ends at once" "" "$got"

expect_failure 78 "starting_offsets names no offset for partition events/1" \
  "$runnel" run p.yaml --set 'sources.in.starting_offsets={"events":{"0":1}}'
expect_failure 78 "exactly one of subscribe, subscribe_pattern or assign" \
  "$runnel" validate p.yaml --set sources.in.subscribe_pattern=x
sed "s/subscribe: events/subscribe_pattern: 'a('/" p.yaml > bad_regex.yaml
expect_failure 78 "not a valid regex" "$runnel" validate bad_regex.yaml
sed "s/format: text}/format: text, kafka.no.such.property: 1}/" p.yaml > bad_property.yaml
expect_failure 78 "Kafka property 'no.such.property'" "$runnel" validate bad_property.yaml
echo ok
