#!/usr/bin/env bash
# fail_on_data_loss: records deleted before they were read. The mock broker
# keeps about 5 MB per partition and drops the oldest records past that, as
# retention would: a checkpointed query that falls behind further stops with
# exit 65 by default, and with fail_on_data_loss: false warns and reads on
# from the oldest record still there.
source "$(dirname "$0")/lib.sh"
start_cluster in:1
cat > p.yaml <<'YAML'
version: 1
trigger: available_now
checkpoint: ckpt
sources:
  in: {type: kafka, bootstrap_servers: "${BOOTSTRAP}", subscribe: in, starting_offsets: earliest, format: json,
       schema: "id LONG"}
sinks:
  out: {from: in, type: stdout, format: json}
YAML
seq -f '{"id":%g}' 1 10 | produce in 0
expect_equal "first run" 10 "$("$runnel" run p.yaml | wc -l)"
seq -f '{"id":%g,"pad":"0123456789012345678901234567890123456789012345678901234567890123456789012345678"}' 11 80010 |
  produce in 0 -X linger.ms=20
low=$(kcat -Q -b "$bootstrap" -t in:0:-2 | awk '{print $NF}')
((low > 10)) || fail "the mock kept everything (low watermark $low); this case needs its retention"
expect_failure 65 "records 10 to $((low - 1)) of in/0 were deleted before they were read" "$runnel" run p.yaml
expect_equal "the failed run committed no batch (only the first run's)" 1 "$(ls ckpt/commits | wc -l)"
got=$("$runnel" run p.yaml --set sources.in.fail_on_data_loss=false 2> err | wc -l)
expect_equal "fail_on_data_loss: false reads what is left" $((80010 - low)) "$got"
grep -q "some data was lost: records 10 to $((low - 1)) of in/0 were deleted" err || fail "no warning: $(cat err)"
echo ok
