#!/bin/sh
# Inputs of the stream_crash_*.test cases (for checkpoint/crash_restart.sh):
# one file of impressions and one of clicks per batch.
set -eu
mkdir -p imp clk
printf '{"iad":1,"it":"2026-01-01T00:00:00Z"}\n{"iad":2,"it":"2026-01-01T00:00:10Z"}\n' > imp/f0.json
printf '{"cad":1,"ct":"2026-01-01T00:00:20Z"}\n' > clk/f0.json
printf '{"iad":3,"it":"2026-01-01T00:01:30Z"}\n' > imp/f1.json
printf '{"cad":2,"ct":"2026-01-01T00:01:15Z"}\n{"cad":3,"ct":"2026-01-01T00:01:40Z"}\n' > clk/f1.json
printf '{"iad":4,"it":"2026-01-01T00:02:00Z"}\n' > imp/f2.json
printf '{"cad":3,"ct":"2026-01-01T00:01:00Z"}\n' > clk/f2.json
for i in 0 1 2; do touch -d "2026-01-01 00:00:0$i" "imp/f$i.json" "clk/f$i.json"; done
