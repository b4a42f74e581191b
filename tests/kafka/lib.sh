# Sourced by the tests/kafka/*.sh cases, run as CASE.sh KAFKA_MOCK_CLUSTER RUNNEL:
# a fresh directory ($work, the current directory), a mock cluster of 3
# brokers ($bootstrap) with the topics given to start_cluster, and kcat as the
# independent producer and consumer.
set -euo pipefail
mock=$(realpath "$1")
runnel=$(realpath "$2")
work=$(mktemp -d)
cd "$work"
trap 'exec 3>&- 2>/dev/null || true; cd /; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

# start_cluster NAME:PARTITIONS...: the cluster, its commands on fd 3.
start_cluster() {
  local args=()
  for t in "$@"; do args+=(--topic "$t"); done
  exec 3> >("$mock" --brokers 3 "${args[@]}" > "$work/cluster.out")
  for _ in $(seq 100); do [[ -s $work/cluster.out ]] && break; sleep 0.05; done
  bootstrap=$(head -1 "$work/cluster.out")
  [[ $bootstrap == *:*,*:*,*:* ]] || fail "no bootstrap address from the mock cluster: '$bootstrap'"
  export BOOTSTRAP=$bootstrap
}

# cluster COMMAND: sends a command (topic NAME N, down ID, up ID) and waits for its answer.
cluster() {
  local before
  before=$(wc -l < "$work/cluster.out")
  echo "$*" >&3
  for _ in $(seq 100); do (($(wc -l < "$work/cluster.out") > before)) && break; sleep 0.05; done
  local answer
  answer=$(tail -1 "$work/cluster.out")
  [[ $answer == ok ]] || fail "cluster '$*': $answer"
}

# produce TOPIC PARTITION [kcat args...] < lines: one record per line, "key:value" with -K:.
produce() {
  local topic=$1 partition=$2
  shift 2
  kcat -P -b "$bootstrap" -t "$topic" -p "$partition" "$@"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_equal WHAT EXPECTED ACTUAL
expect_equal() {
  if [[ $2 != "$3" ]]; then
    echo "FAIL: $1" >&2
    diff <(echo "$2") <(echo "$3") >&2 || true
    exit 1
  fi
}

# Rows of a file sink's output directory, sorted.
file_rows() { cat "$1"/part-* 2>/dev/null | sort; }

# wait_rows FILE N: until FILE has N lines (30 s at most).
wait_rows() {
  for _ in $(seq 300); do [[ -f $1 ]] && (($(wc -l < "$1") >= $2)) && return; sleep 0.1; done
  fail "$1 has $(wc -l < "$1") rows, not $2"
}

# expect_failure EXIT MESSAGE COMMAND...: COMMAND exits with EXIT and says MESSAGE on stderr.
expect_failure() {
  local want=$1 message=$2 code=0
  shift 2
  "$@" > /dev/null 2> "$work/failure.err" || code=$?
  expect_equal "exit code of $*" "$want" "$code"
  grep -qF -- "$message" "$work/failure.err" || fail "no '$message' in: $(cat "$work/failure.err")"
}

# The crash cases' input: records {"id": n}, n = 1, 2, ... spread over the 3
# partitions of topic `in`; $produced counts them, expected_ids lists the rows
# {"id": n, "twice": 2n} a run over all of them writes.
produced=0
add_ids() {
  for p in 0 1 2; do
    seq $((produced + p + 1)) 3 $((produced + $1)) | sed 's/.*/{"id":&}/' | produce in $p
  done
  produced=$((produced + $1))
}
expected_ids() { seq 1 "$produced" | awk '{printf "{\"id\":%d,\"twice\":%d}\n", $1, 2 * $1}' | sort; }

# kill_at_random ROUNDS SEED: each round adds 1-20 records, starts the case's
# p.yaml and kill -9s it after 0-0.5 s; then one run to the end.
kill_at_random() {
  RANDOM=$2
  for _ in $(seq "$1"); do
    add_ids $((RANDOM % 20 + 1))
    "$runnel" run p.yaml 2> /dev/null &
    local pid=$!
    sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
    kill -9 $pid 2> /dev/null || true
    wait $pid 2> /dev/null || true
  done
  "$runnel" run p.yaml
}
