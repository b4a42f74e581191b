#!/usr/bin/env bash
# The Kafka test bed works: kafka_mock_cluster starts 3 mock brokers, and
# Debian's kcat (an independent client) produces to and consumes from them,
# in a consumer group and with isolation.level=read_committed.
#   smoke.sh KAFKA_MOCK_CLUSTER
set -euo pipefail
work=$(mktemp -d)
exec 3> >("$1" --brokers 3 --topic events:3 > "$work/cluster.out")
trap 'exec 3>&-; rm -rf "$work"' EXIT
for _ in $(seq 50); do [[ -s $work/cluster.out ]] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/cluster.out")
[[ $bootstrap == *:*,*:*,*:* ]] || { echo "no bootstrap address from the mock cluster: '$bootstrap'"; exit 1; }

printf 'a\nb\nc\n' | kcat -P -b "$bootstrap" -t events -k k1
got=$(timeout 20 kcat -C -b "$bootstrap" -t events -e -q -f '%k=%s\n')
[[ $got == $'k1=a\nk1=b\nk1=c' ]] || { echo "plain consumer read: $got"; exit 1; }
got=$(timeout 20 kcat -C -b "$bootstrap" -t events -e -q -X isolation.level=read_committed -f '%s\n')
[[ $got == $'a\nb\nc' ]] || { echo "read_committed consumer read: $got"; exit 1; }
got=$(timeout 30 kcat -b "$bootstrap" -G smoke events -e -q -X auto.offset.reset=earliest -f '%s\n')
[[ $got == $'a\nb\nc' ]] || { echo "group consumer read: $got"; exit 1; }
echo "ok: 3 mock brokers at $bootstrap; kcat produced, consumed (plain, read_committed, group)"
