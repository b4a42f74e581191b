#!/usr/bin/env bash
# kafka -> where/select -> kafka with a `topic` column: each row goes to its
# topic, the key from an expression, the value by default the row as JSON;
# then a copy of a topic with key, value and headers taken from the source's
# columns; kcat reads what runnel wrote. Brokers that are down fail the batch
# (exit 69) once delivery_timeout has passed.
source "$(dirname "$0")/lib.sh"
start_cluster in:2 big:1 small:1 plain:1 copy:1
printf '{"id":1,"n":5}\n{"id":2,"n":50}\n' | produce in 0
printf '{"id":3,"n":500}\n{"id":4,"n":-1}\n' | produce in 1
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: in, starting_offsets: earliest, format: json,
       schema: "id INT, n INT"}
transforms:
  t:
    from: in
    steps:
      - where: "n >= 0"
      - select: ["IF(n > 10, 'big', 'small') AS topic", id, n]
sinks:
  out:
    from: t
    type: kafka
    bootstrap_servers: "${BOOTSTRAP}"
    key: "CAST(id AS STRING)"
YAML
"$runnel" run p.yaml
read_topic() { timeout 20 kcat -C -b "$bootstrap" -t "$1" -e -q -f '%k %h %s\n' | sort; }
expect_equal "topic big" '2  {"topic":"big","id":2,"n":50}
3  {"topic":"big","id":3,"n":500}' "$(read_topic big)"
expect_equal "topic small" '1  {"topic":"small","id":1,"n":5}' "$(read_topic small)"

"$runnel" run p.yaml --set sinks.out.topic=small --set sinks.out.value="CAST(n * 2 AS STRING)"
expect_equal "topic option, value expression" '1  10
1  {"topic":"small","id":1,"n":5}
2  100
3  1000' "$(read_topic small)"
expect_failure 78 "must be a string or binary expression" "$runnel" validate p.yaml --set sinks.out.value=n

printf 'k1:v1\nk2:v2\n' | produce plain 0 -K: -H h1=x -H h2=yz
cat > copy.yaml <<'YAML'
version: 1
trigger: available_now
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: plain, starting_offsets: earliest}
sinks:
  out: {from: in, type: kafka, bootstrap_servers: "${BOOTSTRAP}", topic: copy, key: key, value: value, headers: headers}
YAML
"$runnel" run copy.yaml
expect_equal "a copy with key, value and headers" 'k1 h1=x,h2=yz v1
k2 h1=x,h2=yz v2' "$(read_topic copy)"

cat > stdin.yaml <<'YAML'
version: 1
sources:
  in: {type: stdin, format: json, schema: "id INT"}
sinks:
  out: {from: in, type: kafka, bootstrap_servers: "${BOOTSTRAP}", topic: small, delivery_timeout: 2 s}
YAML
for b in 1 2 3; do cluster down $b; done
echo '{"id":9}' > one.json
expect_failure 69 "sink 'out': records of batch 0 not delivered within 2000 ms" sh -c "timeout 60 '$runnel' run stdin.yaml < one.json"
echo ok
