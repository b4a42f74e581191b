#!/bin/sh
# Shared by the crash_*.test cases: usage crash_restart.sh POINT BATCH [INPUTS].
# Runs the case's pipeline (a windowed count over a file source, one file per
# batch, into a file sink) once uninterrupted into ref/, then again with
# RUNNEL_CRASH_AT=POINT:BATCH (which must die by SIGKILL, exit 137), then once
# more to resume from the checkpoint; the second output directory must hold
# exactly the rows of the first, and nothing but data files and the manifest.
# INPUTS, a shell script, writes other inputs than the windowed count's.
set -eu
point=$1 batch=$2
if [ $# -ge 3 ]; then
  sh "$3"  # another case's inputs
else
  mkdir -p in
  for i in 0 1 2 3 4; do
    printf '{"ts":"2026-01-01T00:0%d:10Z","bytes":%d}\n{"ts":"2026-01-01T00:0%d:40Z","bytes":1}\n' "$i" "$i" "$i" > "in/f$i.json"
    touch -d "2026-01-01 00:00:0$i" "in/f$i.json"
  done
fi
"$RUNNEL" run "$PIPELINE" --set checkpoint=ref/ckpt --set sinks.out.path=ref/out
code=0
RUNNEL_CRASH_AT="$point:$batch" "$RUNNEL" run "$PIPELINE" 2>/dev/null || code=$?
echo "crashed at $point:$batch with exit $code"
"$RUNNEL" run "$PIPELINE"
cat ref/out/part-* | sort > expected
cat out/part-* | sort > actual
if ! cmp -s expected actual; then
  echo "output differs from the uninterrupted run:"
  diff expected actual || true
fi
ls -A out | grep -v -e '^part-' -e '^_runnel_log$' || true
cat actual
