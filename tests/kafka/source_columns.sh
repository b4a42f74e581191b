#!/usr/bin/env bash
# The Kafka source without `format` gives Spark's columns: key and value as
# binary, topic, partition, offset, timestamp, timestamp_type and headers;
# starting_offsets: earliest under available_now reads everything present.
source "$(dirname "$0")/lib.sh"
start_cluster events:2
printf 'k1:v1\nk2:v2\n' | produce events 0 -K: -H h1=x -H h2=yz
printf 'v3\n' | produce events 1
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: events, starting_offsets: earliest}
transforms:
  t:
    from: in
    steps:
      - select: ["CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v", topic, partition, offset, timestamp_type,
                 "size(headers) AS n", "element_at(headers, 2).key AS h", "CAST(element_at(headers, 2).value AS STRING) AS hv",
                 "unix_millis(timestamp) > 1577836800000 AS recent"]
sinks:
  out: {from: t, type: stdout, format: json}
YAML
got=$("$runnel" run p.yaml | sort)
expect_equal "Spark's Kafka columns" \
'{"k":"k1","v":"v1","topic":"events","partition":0,"offset":0,"timestamp_type":0,"n":2,"h":"h2","hv":"yz","recent":true}
{"k":"k2","v":"v2","topic":"events","partition":0,"offset":1,"timestamp_type":0,"n":2,"h":"h2","hv":"yz","recent":true}
{"v":"v3","topic":"events","partition":1,"offset":0,"timestamp_type":0,"n":-1,"recent":true}' "$got"
echo ok
