#!/usr/bin/env bash
# End to end through the clcnn tool on a few hundred generated images: the seed model trains
# 2 epochs and its loss falls, every output appears and parses, a run stopped after epoch 1
# and resumed ends with the same weights as an uninterrupted one, and bad flags and bad
# data get their messages and exit statuses.
# usage: test_cli.sh CLCNN MAKE_CIFAR CHECKPOINT_DIFF TRACE_SUMMARY MAKE_JPEG WORK_DIR
set -u
clcnn=$1 make_cifar=$2 checkpoint_diff=$3 trace_summary=$4 make_jpeg=$5 work=$6
rm -rf "$work" && mkdir -p "$work"
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "ok   $1"; }
fail() { failures=$((failures + 1)); echo "FAIL $1"; }
# expect STATUS FRAGMENT -- COMMAND...: the exit status and a fragment of stderr
expect() {
    local status=$1 fragment=$2; shift 3
    local output actual
    output=$("$@" 2>&1 >/dev/null); actual=$?
    if [ "$actual" -eq "$status" ] && grep -qF -- "$fragment" <<<"$output"; then
        pass "$* -> $status, '$fragment'"
    else
        fail "$* -> expected $status and '$fragment', got $actual: $output"
    fi
}

mkdir -p "$work/data" && "$make_cifar" "$work/data" 48 40 3 || exit 1

# ---- training, outputs, loss falls
"$clcnn" train --data "$work/data" --epochs 2 --batch 32 --out "$work/run" > "$work/run.log" 2>&1
[ $? -eq 0 ] && pass "train 2 epochs" || { fail "train 2 epochs"; cat "$work/run.log"; }
for file in history.csv checkpoint-last.ckpt checkpoint-best.ckpt report.txt accuracy.png loss.png confusion.png samples.png; do
    [ -s "$work/run/$file" ] && pass "$file written" || fail "$file missing"
done
for png in accuracy loss confusion samples; do
    [ "$(head -c 8 "$work/run/$png.png" | od -An -tx1 | tr -d ' ')" = "89504e470d0a1a0a" ] \
        && pass "$png.png is a PNG" || fail "$png.png is not a PNG"
done
[ "$(head -1 "$work/run/history.csv")" = "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate" ] \
    && pass "history.csv header" || fail "history.csv header"
[ "$(wc -l < "$work/run/history.csv")" -eq 3 ] && pass "history.csv has 2 epochs" || fail "history.csv rows"
awk -F, 'NR==2{first=$2} NR==3{last=$2} END{exit !(last < first)}' "$work/run/history.csv" \
    && pass "training loss falls" || fail "training loss does not fall: $(cat "$work/run/history.csv")"
grep -q "macro avg" "$work/run/report.txt" && grep -q "Confusion matrix" "$work/run/report.txt" \
    && pass "report.txt has the classification report and confusion matrix" || fail "report.txt content"
grep -q "Total params: 356,810" "$work/run.log" && pass "summary printed" || fail "summary missing"

# ---- resume: epoch 1, then resume to epoch 2 == the uninterrupted run
"$clcnn" train --data "$work/data" --epochs 1 --batch 32 --out "$work/split" > /dev/null 2>&1 \
    && "$clcnn" train --resume "$work/split" --epochs 2 --data "$work/data" > "$work/resume.log" 2>&1 \
    && pass "stop after epoch 1 and resume" || { fail "resume run"; cat "$work/resume.log"; }
"$checkpoint_diff" "$work/run/checkpoint-last.ckpt" "$work/split/checkpoint-last.ckpt" \
    && pass "resumed weights equal the uninterrupted run's" || fail "resumed weights differ"

# ---- the images kept on the host (CLCNN_RESIDENT=0: batches uploaded without waiting): the
# same weights as the run that kept them on the device
CLCNN_RESIDENT=0 "$clcnn" train --data "$work/data" --epochs 2 --batch 32 --out "$work/hosted" \
    > "$work/hosted.log" 2>&1 \
    && "$checkpoint_diff" "$work/run/checkpoint-last.ckpt" "$work/hosted/checkpoint-last.ckpt" \
    && pass "host batches uploaded without waiting end with the resident run's weights" \
    || fail "CLCNN_RESIDENT=0: $(tail -3 "$work/hosted.log")"

# ---- data-parallel on the same device twice: the single-device run's losses (1e-4 relative) and
# val_accuracy (0.005), replicas in step, two runs alike bit for bit, and bad lists refused
for name in pair pair-again; do
    "$clcnn" train --data "$work/data" --epochs 2 --batch 32 --device pocl,pocl --out "$work/$name" \
        > "$work/$name.log" 2>&1 || fail "train --device pocl,pocl: $(tail -3 "$work/$name.log")"
done
grep -q "Data-parallel on 2 devices, one replica each; a batch of 32 splits 16:16" "$work/pair.log" \
    && ! grep -q "replicas' weights differ" "$work/pair.log" \
    && pass "train --device pocl,pocl runs two replicas that stay identical" || fail "pair: $(cat "$work/pair.log")"
bash "$(dirname "$0")/histories_agree.sh" "$work/run/history.csv" "$work/pair/history.csv" > "$work/agree.txt" \
    && pass "two replicas match one device: losses within 1e-4, val_accuracy within 0.005" \
    || fail "replicas against one device: $(cat "$work/agree.txt")"
"$checkpoint_diff" "$work/pair/checkpoint-last.ckpt" "$work/pair-again/checkpoint-last.ckpt" \
    && pass "two data-parallel runs with the same layout end with the same weights" \
    || fail "two data-parallel runs differ"
"$clcnn" train --data "$work/data" --epochs 1 --batch 32 --device pocl,pocl --split 3:1 \
    --out "$work/split31" > "$work/split31.log" 2>&1 && grep -q "splits 24:8" "$work/split31.log" \
    && pass "--split 3:1 gives the first device three quarters of a batch" || fail "--split 3:1: $(tail -3 "$work/split31.log")"
# with batch norm each replica's moving statistics follow its share: replica 0's are kept,
# silently; the trainable weights still agree
"$clcnn" train --model "$(dirname "$0")/../examples/cifar10-tutorial-bn.model" --data "$work/data" \
    --epochs 2 --batch 32 --device pocl,pocl --out "$work/pair-bn" > "$work/pair-bn.log" 2>&1 \
    && ! grep -q "differ" "$work/pair-bn.log" \
    && pass "replicas of a batch-norm model: replica 0's moving statistics kept, no drift reported" \
    || fail "batch-norm replicas: $(grep -i "differ\|clcnn:" "$work/pair-bn.log")"
"$clcnn" bench --device pocl,pocl --steps 2 --json > "$work/bench-pair.json" 2> "$work/bench-pair.err" \
    && grep -q '"devices":2' "$work/bench-pair.json" && grep -q '"scaling_efficiency":' "$work/bench-pair.json" \
    && grep -q '"exchange_ms_per_step":' "$work/bench-pair.json" \
    && pass "bench --device pocl,pocl times two replicas: efficiency and exchange" \
    || fail "bench pair: $(tail -3 "$work/bench-pair.err")"
expect 2 "--split '3': expected 2 positive shares separated by ':'" \
    -- "$clcnn" train --data "$work/data" --device pocl,pocl --split 3
expect 2 "--device 'pocl,': expected 1 to 64 device specs, comma-separated, none empty" \
    -- "$clcnn" train --data "$work/data" --device pocl,
expect 2 "--crosscheck-every runs on one device, not 2" \
    -- "$clcnn" train --data "$work/data" --device pocl,pocl --crosscheck-every 3

# ---- run folders: an earlier run is never replaced silently, one run owns a folder at a time,
# and temporary files of killed runs are cleaned up
cp "$work/run/checkpoint-last.ckpt" "$work/before.ckpt"
expect 1 "$work/run already holds a run (checkpoint-last.ckpt or history.csv); continue it with: clcnn train --resume $work/run, or pass --overwrite" \
    -- "$clcnn" train --data "$work/data" --epochs 1 --out "$work/run"
cmp -s "$work/before.ckpt" "$work/run/checkpoint-last.ckpt" && pass "the refused run left the earlier checkpoint as it was" \
    || fail "the earlier checkpoint changed"
"$clcnn" train --data "$work/data" --epochs 1 --batch 32 --out "$work/split" --overwrite > /dev/null 2>&1 \
    && [ "$(wc -l < "$work/split/history.csv")" -eq 2 ] && pass "--overwrite replaces a run" \
    || fail "--overwrite: $(cat "$work/split/history.csv")"
expect 2 "--out and --overwrite do not go with it" -- "$clcnn" train --resume "$work/split" --out "$work/elsewhere"
"$clcnn" train --data "$work/data" --epochs 200 --batch 8 --out "$work/busy" > "$work/busy.log" 2>&1 &
busy=$!
for _ in $(seq 1 400); do grep -q "Training on" "$work/busy.log" && break; sleep 0.05; done
expect 1 "$work/busy is in use by another clcnn train (process $busy)" -- "$clcnn" train --data "$work/data" --out "$work/busy" --overwrite
expect 1 "$work/busy is in use by another clcnn train (process $busy)" -- "$clcnn" train --resume "$work/busy"
kill -TERM $busy; wait $busy
echo "left by a killed run" > "$work/busy/checkpoint-last.ckpt.tmp.4194303"
"$clcnn" train --data "$work/data" --epochs 1 --out "$work/busy" --overwrite > /dev/null 2> "$work/stale.err"
grep -q "removed $work/busy/checkpoint-last.ckpt.tmp.4194303, left by process 4194303" "$work/stale.err" \
    && [ ! -e "$work/busy/checkpoint-last.ckpt.tmp.4194303" ] \
    && pass "the lock goes with its process; a killed run's temporary file is removed" \
    || fail "stale temporary: $(cat "$work/stale.err")"

# ---- resume keeps the run's settings; flags that contradict them are refused
"$clcnn" train --data "$work/data" --epochs 1 --batch 16 --lr 0.002 --seed 3 --validation-split 0.25 \
    --out "$work/kept" > /dev/null 2>&1 || fail "train for the settings test"
CLCNN_DATA=/nonexistent "$clcnn" train --resume "$work/kept" > "$work/kept.log" 2>&1 \
    && grep -q "validating on 60 (the last 25%), batch 16, 1 epochs" "$work/kept.log" \
    && pass "--resume alone takes the data folder, epochs, batch and split from the checkpoint" \
    || fail "resume settings: $(tail -3 "$work/kept.log")"
expect 1 "--batch 32 contradicts the run in $work/kept, which was started with --batch 16" -- "$clcnn" train --resume "$work/kept" --batch 32
expect 1 "--lr 0.1 contradicts the run in $work/kept, which was started with --lr 0.002" -- "$clcnn" train --resume "$work/kept" --lr 0.1
expect 1 "--seed 4 contradicts the run in $work/kept, which was started with --seed 3" -- "$clcnn" train --resume "$work/kept" --seed 4
expect 1 "--validation-split 0.2 contradicts the run in $work/kept, which was started with --validation-split 0.25" -- "$clcnn" train --resume "$work/kept" --validation-split 0.2
expect 1 "--format idx contradicts the run in $work/kept, which was started with --format cifar10" -- "$clcnn" train --resume "$work/kept" --format idx
mkdir -p "$work/other-data" && "$make_cifar" "$work/other-data" 50 10 9
expect 1 "$work/other-data is not the dataset the run in $work/kept started on" -- "$clcnn" train --resume "$work/kept" --data "$work/other-data" --epochs 2
cp -r "$work/data" "$work/moved-data"
"$clcnn" train --resume "$work/kept" --batch 16 --data "$work/moved-data" --epochs 2 > "$work/kept.log" 2>&1 \
    && grep -q "the run was started for 1 epochs; --epochs 2 extends it" "$work/kept.log" \
    && [ "$(wc -l < "$work/kept/history.csv")" -eq 3 ] \
    && pass "--epochs extends a run; --data may name the same data moved; equal flags are accepted" \
    || fail "extend: $(tail -3 "$work/kept.log")"
expect 1 "--epochs 1: the run in $work/kept has already trained 2 epochs" -- "$clcnn" train --resume "$work/kept" --epochs 1

# ---- a batch too large for the device's memory is refused before anything is allocated
# (65,536 channels of 32x32: 512 MiB a sample), on the device and on the reference path
printf 'input height=32 width=32 channels=3\nconv2d filters=65536 kernel=1\nmaxpool2d pool=32\nflatten\ndense units=10 activation=softmax\n' > "$work/huge.model"
for device in pocl ref; do
    expect 1 "batch 150 needs about 75.09 GiB of device memory (512.5 MiB a sample" -- \
        "$clcnn" train --data "$work/data" --model "$work/huge.model" --batch 150 --device $device --out "$work/huge-$device"
    [ ! -e "$work/huge-$device" ] && pass "a run that cannot start leaves no folder" || fail "$work/huge-$device was created"
done

# ---- class names that are not UTF-8 (from a user's batches.meta.txt) are drawn, escaped, not
# dropped: cairo draws nothing after one bad byte, which left figures without text and exit 0
for kind in plain latin1; do
    cp -r "$work/data" "$work/names-$kind"
    if [ $kind = plain ]; then prefix='?'; else prefix=$'\xe9'; fi
    for name in airplane automobile bird cat deer dog frog horse ship truck; do printf '%s%s\n' "$prefix" "$name"; done \
        > "$work/names-$kind/batches.meta.txt"
    "$clcnn" train --data "$work/names-$kind" --epochs 1 --out "$work/names-run-$kind" > "$work/names-$kind.log" 2>&1 \
        || fail "train with $kind class names: $(tail -2 "$work/names-$kind.log")"
done
plain=$(stat -c %s "$work/names-run-plain/confusion.png") latin1=$(stat -c %s "$work/names-run-latin1/confusion.png")
[ $((latin1 * 10)) -gt $((plain * 9)) ] && grep -q $'\xe9cat' "$work/names-run-latin1/report.txt" \
    && pass "non-UTF-8 class names: the figure keeps its text ($latin1 bytes vs $plain), the report the bytes" \
    || fail "non-UTF-8 class names: confusion.png $latin1 bytes vs $plain"

# ---- a disk that fills up while a figure is written (ulimit -f, SIGXFSZ ignored: writes past
# 16 KiB fail) leaves the earlier figure whole and no temporary file behind. On the reference
# path, since a driver writes its own caches too
"$clcnn" eval --checkpoint "$work/run/checkpoint-best.ckpt" --data "$work/data" --out "$work/full-disk" > /dev/null 2>&1
cp "$work/full-disk/confusion.png" "$work/confusion-before.png"
(trap '' XFSZ; ulimit -f 16; "$clcnn" eval --checkpoint "$work/run/checkpoint-best.ckpt" --data "$work/data" \
    --out "$work/full-disk" --device ref > /dev/null 2> "$work/full-disk.err")
status=$?
[ $status -eq 1 ] && grep -q "cannot draw $work/full-disk/confusion.png: error while writing to output stream" "$work/full-disk.err" \
    && cmp -s "$work/confusion-before.png" "$work/full-disk/confusion.png" \
    && [ -z "$(ls "$work/full-disk" | grep tmp)" ] \
    && pass "a full disk: exit 1, the earlier figure intact, no temporary file left" \
    || fail "full disk: exit $status: $(cat "$work/full-disk.err"); $(ls "$work/full-disk")"

# ---- the live line fits the terminal (a line that wraps leaves a line per update); the
# epoch's heading comes before it
if command -v script > /dev/null; then
    for columns in 80 50; do
        COLUMNS=$columns script -qfec "'$clcnn' train --data '$work/data' --epochs 1 --batch 4 --out '$work/tty' --overwrite" \
            "$work/tty.log" > /dev/null 2>&1
        widest=$(tr '\r' '\n' < "$work/tty.log" | sed 's/\x1b\[K//g' | grep ETA \
            | LC_ALL=C.UTF-8 bash -c 'while IFS= read -r line; do echo ${#line}; done' | sort -n | tail -1)
        [ -n "$widest" ] && [ "$widest" -lt "$columns" ] \
            && [ "$(grep -an -m1 'Epoch 1/1' "$work/tty.log" | cut -d: -f1)" -le "$(grep -an -m1 'ETA' "$work/tty.log" | cut -d: -f1)" ] \
            && pass "the progress line fits $columns columns (widest $widest) after its 'Epoch 1/1'" \
            || fail "progress line at $columns columns: widest ${widest:-none}"
    done
fi

# ---- eval and predict on the saved model
"$clcnn" eval --checkpoint "$work/run/checkpoint-best.ckpt" --data "$work/data" --out "$work/eval" > /dev/null 2>&1 \
    && [ -s "$work/eval/report.txt" ] && [ -s "$work/eval/confusion.png" ] \
    && pass "eval writes report and confusion figure" || fail "eval"
cp "$work/run/report.txt" "$work/run-report.txt"
"$clcnn" eval --checkpoint "$work/run/checkpoint-best.ckpt" --data "$work/data" > /dev/null 2>&1 \
    && [ -s "$work/run/eval-checkpoint-best/report.txt" ] && cmp -s "$work/run/report.txt" "$work/run-report.txt" \
    && pass "eval without --out writes beside the checkpoint, leaving the run's report" || fail "eval default folder"

# ---- --crosscheck-every: passes on the real kernels, stops on a conv kernel 1% off. 35
# tensors: the three convolutions' y are scratch (each runs the max pooling after it, whose
# output is compared instead)
"$clcnn" train --data "$work/data" --epochs 1 --batch 32 --crosscheck-every 3 --out "$work/checked" > "$work/checked.log" 2>&1 \
    && grep -q "cross-check at step 3: 35 tensors" "$work/checked.log" \
    && grep -q "cross-check at step 6: 35 tensors" "$work/checked.log" \
    && pass "--crosscheck-every 3 checks steps 3 and 6" || fail "--crosscheck-every: $(tail -3 "$work/checked.log")"
# the residual recipe (one tensor feeds two nodes; batch norm, SGD with Nesterov momentum and
# weight decay, label smoothing, crops and flips, from its train line) at batch 8: 24 steps, two
# of them checked (each costs seconds on the reference, half a minute under the sanitizers).
# 111 tensors: the fused ReLUs are aliases, and the 3 pooled convolutions' y scratch
"$clcnn" train --model "$(dirname "$0")/../examples/cifar10-resnet9.model" --data "$work/data" --epochs 1 --batch 8 \
    --crosscheck-every 12 --out "$work/checked-resnet" > "$work/checked-resnet.log" 2>&1 \
    && grep -q "cross-check at step 12: 111 tensors" "$work/checked-resnet.log" \
    && grep -q "cross-check at step 24: 111 tensors" "$work/checked-resnet.log" \
    && pass "--crosscheck-every passes on the residual recipe" || fail "--crosscheck-every on the residual recipe: $(tail -3 "$work/checked-resnet.log")"
cp -r "$(dirname "$0")/../cl" "$work/mutant-cl"
sed -i 's/fma(p0, (float16)(tap\[0\]), tile\[k\])/fma(p0, (float16)(1.01f * tap[0]), tile[k])/' "$work/mutant-cl/conv2d.cl"
grep -qF "fma(p0, (float16)(1.01f * tap[0]), tile[k])" "$work/mutant-cl/conv2d.cl" || fail "the conv2d mutation site has moved"
expect 1 "the device left tolerance against the reference at step 2 (conv2d" -- \
    env CLCNN_KERNEL_DIR="$work/mutant-cl" "$clcnn" train --data "$work/data" --epochs 1 --batch 32 --crosscheck-every 2 --out "$work/mutant-run"

# ---- --profile: profile.csv parses and its counts match the work done. One epoch at batch 32:
# 6 training steps, 2 validation and 2 test batches (10 forward passes, 3 convolutions each:
# the 3-channel first layer on the 3x3 fast path, the others on Winograd's, each after a
# transform of its weights), 6 backward passes (dW for 3 layers: the 8-wide one with output
# channels in the lanes after a transpose of dy, the others on 16-column tiles; dX for 2, on
# Winograd's), Adam once over the parameter arena, 2 GEMMs per forward pass and 4 per
# backward pass (PoCL, a CPU device, runs them on dense_gemm, not CLBlast), each dX GEMM after
# a transpose of its weights. The same run writes a trace.
"$clcnn" train --data "$work/data" --epochs 1 --batch 32 --out "$work/profiled" --profile \
    --trace "$work/profiled/trace.json" > "$work/profile.log" 2>&1 \
    && [ "$(head -1 "$work/profiled/profile.csv")" = "kernel,calls,total_ms,mean_us,median_us,share,gflops,gbytes_per_s,global_size,local_size" ] \
    && pass "--profile writes profile.csv" || fail "--profile: $(tail -3 "$work/profile.log")"
calls() { awk -F, -v k="$1" '$1 == k {print $2}' "$work/profiled/profile.csv"; }
for expected in conv2d_backward_weights_channels:6 conv2d_transpose_gradient:6 conv2d_backward_weights_3x3_wide:12 adam_update:6 conv2d_forward_3x3:10 conv2d_winograd:32 conv2d_winograd_weights:32 dense_gemm:44 dense_transpose:12 softmax_cross_entropy:10; do
    kernel=${expected%%:*} count=${expected##*:}
    [ "$(calls "$kernel")" = "$count" ] && pass "profile: $kernel called $count times" \
        || fail "profile: $kernel called $(calls "$kernel") times, expected $count"
done
awk -F, 'NR > 1 {share += $6} END {exit !(share > 0.999 && share < 1.001)}' "$work/profiled/profile.csv" \
    && pass "profile shares add up to 1" || fail "profile shares do not add up to 1"

# ---- --trace: the JSON parses, every queue event lies inside a host span, and the queue
# holds exactly the launches the profile counted; the host track has the 6 steps, the 4
# evaluation batches and each layer's forward (10 passes) and backward (6)
"$trace_summary" "$work/profiled/trace.json" > "$work/trace.txt" 2> "$work/trace.err" \
    && pass "trace parses, queue events inside host spans" || fail "trace: $(head -3 "$work/trace.err")"
traced() { awk -F'\t' -v track="$1" -v name="$2" '$1 == track && $2 == name {print $3}' "$work/trace.txt"; }
tail -n +2 "$work/profiled/profile.csv" | while IFS=, read -r kernel count rest; do
    [ "$(traced queue "$kernel")" = "$count" ] || echo "$kernel: trace $(traced queue "$kernel"), profile $count"
done > "$work/trace-mismatch.txt"
[ -s "$work/profiled/profile.csv" ] && [ ! -s "$work/trace-mismatch.txt" ] \
    && pass "trace queue events match the profile's counts" || fail "trace counts: $(head -3 "$work/trace-mismatch.txt")"
for expected in "train step:6" "evaluate batch:4" "forward conv2d:10" "backward conv2d:6" "adam update:6"; do
    name=${expected%%:*} count=${expected##*:}
    [ "$(traced host "$name")" = "$count" ] && pass "trace: host span '$name' x $count" \
        || fail "trace: host span '$name' x '$(traced host "$name")', expected $count"
done
expect 1 "cannot write the trace $work/data" -- "$clcnn" train --data "$work/data" --epochs 1 --out "$work/untraced" --trace "$work/data"
echo "an earlier trace" > "$work/kept.json"
expect 1 "data folder $work/missing: missing" -- "$clcnn" train --data "$work/missing" --trace "$work/kept.json"
[ "$(cat "$work/kept.json")" = "an earlier trace" ] && pass "a run that fails leaves an earlier trace as it was" \
    || fail "the earlier trace was changed: $(head -c 80 "$work/kept.json")"

# ---- bench: two timed steps on the device alone; every op cross-checked, a cold start that
# built all 15 programs and a warm one that loaded them; resident steps read their totals
# once for both steps (0.5 host synchronisations a step; 1/N for N steps)
"$clcnn" bench --steps 2 --no-reference --json > "$work/bench.json" 2> "$work/bench.err" \
    && pass "bench --json runs" || fail "bench: $(tail -3 "$work/bench.err")"
for field in '"runs":2' '"programs_built":15' '"programs_loaded":15' '"op":"conv2d"' '"direction":"backward_weights"'; do
    grep -qF "$field" "$work/bench.json" && pass "bench JSON has $field" || fail "bench JSON lacks $field"
done
[ "$(grep -c '"passed":true' "$work/bench.json")" -eq 51 ] && ! grep -q '"passed":false' "$work/bench.json" \
    && pass "bench: 51 ops timed, all cross-checked" || fail "bench: $(grep -c '"passed":true' "$work/bench.json") ops passed"
grep -A3 '"resident_train_step"' "$work/bench.json" | grep -qF '"host_syncs_per_step":0.5' \
    && pass "bench: resident steps make one host synchronisation for two steps" \
    || fail "bench resident steps: $(grep -A3 '"resident_train_step"' "$work/bench.json")"
grep -q "measuring a cold start" "$work/bench.err" && pass "bench says what it is measuring" \
    || fail "bench progress: $(cat "$work/bench.err")"
"$clcnn" bench --steps 1 --no-reference --no-cold-start > "$work/bench.txt" 2> "$work/bench.err" \
    && grep -q "cold start: not measured (--no-cold-start)" "$work/bench.txt" && ! grep -q "measuring a cold start" "$work/bench.err" \
    && pass "bench --no-cold-start skips the cold start" || fail "bench --no-cold-start: $(tail -3 "$work/bench.err")"
expect 2 "--steps expects a whole number from 1 to 1000" -- "$clcnn" bench --steps 0
# --model: a model file's network (28x28 grey, 7 classes, a width off the fast path's 8-pixel
# tiles) instead of the tutorial's; the per-op rows, at the tutorial's shapes, are left out
printf 'input height=28 width=28 channels=1\nconv2d filters=5 kernel=3 padding=same activation=relu\nmaxpool2d pool=2\nflatten\ndense units=7 activation=softmax\n' > "$work/bench.model"
"$clcnn" bench --model "$work/bench.model" --steps 2 --no-reference --no-cold-start --json > "$work/bench-model.json" 2> "$work/bench.err" \
    && grep -qF "\"model\":\"$work/bench.model\"" "$work/bench-model.json" && grep -qF '"runs":2' "$work/bench-model.json" \
    && ! grep -qF '"op":' "$work/bench-model.json" \
    && pass "bench --model times the model file's network" || fail "bench --model: $(tail -3 "$work/bench.err")"
"$clcnn" profile --model "$work/bench.model" --steps 1 > "$work/profile-model.txt" 2>&1 \
    && grep -qF "training steps of $work/bench.model" "$work/profile-model.txt" && grep -q "^conv2d_forward_3x3 .*|" "$work/profile-model.txt" \
    && pass "profile --model profiles the model file's network" || fail "profile --model: $(tail -3 "$work/profile-model.txt")"
printf 'input height=28 width=28 channels=1\nconv2d filters=5 kernal=3\n' > "$work/bad-bench.model"
expect 1 "bad-bench.model:2: conv2d: unknown keyword 'kernal'" -- "$clcnn" bench --model "$work/bad-bench.model" --no-reference

# ---- profile: 2 steps; per step the 3x3 forward kernel runs once (the first layer), Winograd's
# 4 times (2 layers, 2 dX), Adam once (one launch over the parameter arena)
"$clcnn" profile --steps 2 --csv "$work/profile-devices.csv" > "$work/profile-devices.txt" 2>&1 \
    && grep -q "^conv2d_forward_3x3 .*|" "$work/profile-devices.txt" && grep -q "^all kernels" "$work/profile-devices.txt" \
    && pass "profile prints the per-kernel table" || fail "profile: $(tail -3 "$work/profile-devices.txt")"
[ "$(head -1 "$work/profile-devices.csv")" = "device,kernel,calls,ms_per_step,share,mean_us,median_us,gflops,gbytes_per_s,global_size,local_size" ] \
    && [ "$(awk -F, '$2 == "conv2d_forward_3x3" {print $3}' "$work/profile-devices.csv")" = 2 ] \
    && [ "$(awk -F, '$2 == "conv2d_winograd" {print $3}' "$work/profile-devices.csv")" = 8 ] \
    && [ "$(awk -F, '$2 == "adam_update" {print $3}' "$work/profile-devices.csv")" = 2 ] \
    && pass "profile CSV counts match 2 steps" || fail "profile CSV: $(head -3 "$work/profile-devices.csv")"
expect 2 "the reference path runs no kernels" -- "$clcnn" profile --device ref
expect 2 "the reference path has no work-groups to tune" -- "$clcnn" tune --device ref
expect 2 "--runs expects a whole number from 1 to 1000" -- "$clcnn" tune --runs 0
# tune at small shapes into a cache of its own: work-group and variant decisions as JSON, used
# by later runs, and forgotten by --reset
tune_cache="$work/tune-cache"
CLCNN_CACHE_DIR="$tune_cache" "$clcnn" tune --shapes small --runs 1 --json > "$work/tune.json" 2> "$work/tune.err" \
    && grep -q '"decision":true' "$work/tune.json" && grep -q '"op":"conv2d backward_weights"' "$work/tune.json" \
    && grep -q '"default_variant":' "$work/tune.json" \
    && pass "tune --json gives every candidate and decision, variants included" \
    || fail "tune --json: $(tail -3 "$work/tune.err")"
CLCNN_CACHE_DIR="$tune_cache" "$clcnn" tune --clblast-candidate "" --shapes small --runs 1 2>/dev/null \
    | grep -qE "^clblast-candidate [0-9.]+ 1$" \
    && pass "a CLBlast candidate is timed and cross-checked in a process of its own" \
    || fail "tune --clblast-candidate"
CLCNN_TUNE_CANDIDATE_SECONDS=0.05 CLCNN_CACHE_DIR="$tune_cache" "$clcnn" tune --clblast --shapes small --runs 1 \
    > "$work/tune-clblast.txt" 2>/dev/null \
    && [ "$(grep -c "over its 0.05 s limit: killed" "$work/tune-clblast.txt")" -eq 6 ] \
    && grep -q "no candidate passed in time; CLBlast's own parameters stay" "$work/tune-clblast.txt" \
    && pass "tune --clblast kills a candidate over its time limit and keeps CLBlast's own" \
    || fail "tune --clblast limit: $(tail -5 "$work/tune-clblast.txt")"
CLCNN_CACHE_DIR="$tune_cache" "$clcnn" build 2>&1 | grep -q "from clcnn tune" \
    && CLCNN_CACHE_DIR="$tune_cache" "$clcnn" tune --reset > /dev/null \
    && CLCNN_CACHE_DIR="$tune_cache" "$clcnn" build 2>&1 | grep -q "(defaults;" \
    && pass "tune --reset goes back to the defaults" || fail "tune --reset"

# ---- bad flags and bad data
expect 2 "--epochs expects a whole number from 1" -- "$clcnn" train --data "$work/data" --epochs 0
expect 2 "--epochs expects a whole number from 1" -- "$clcnn" train --data "$work/data" --epochs -1
expect 2 "got 'abc'" -- "$clcnn" train --data "$work/data" --epochs abc
expect 2 "--batch expects a whole number from 1" -- "$clcnn" train --data "$work/data" --batch 0
expect 2 "--lr expects a number" -- "$clcnn" train --data "$work/data" --lr -0.1
expect 2 "unrecognized option" -- "$clcnn" train --data "$work/data" --frobnicate
expect 1 "larger than the 192 training images" -- "$clcnn" train --data "$work/data" --batch 500 --out "$work/x"
expect 2 "no OpenCL device matches '99'" -- "$clcnn" train --data "$work/data" --device 99 --epochs 1 --out "$work/y"
expect 2 "no OpenCL device matches 'nosuchname'" -- "$clcnn" check --device nosuchname
expect 1 "cannot create output folder" -- "$clcnn" train --data "$work/data" --out /proc/clcnn/run
expect 1 "cifar-10-binary.tar.gz" -- "$clcnn" train --data "$work/no-such-folder"
cp -r "$work/data" "$work/bad"
printf '\x0a' | dd of="$work/bad/data_batch_2.bin" bs=1 seek=$((3073 * 5)) conv=notrunc status=none
expect 1 "record 5 (byte offset 15365) has label 10" -- "$clcnn" train --data "$work/bad"
expect 1 "not a clcnn checkpoint" -- "$clcnn" eval --checkpoint "$work/run/history.csv" --data "$work/data"

# ---- predict: a good image, then every kind of bad one
corpus=$(dirname "$0")/fuzz/corpus
examples=$(dirname "$0")/../examples

# ---- paths that are not files: refused at once, never opened (a FIFO would block the open)
mkfifo "$work/fifo"
expect 1 "/dev/zero: not a regular file; expected a checkpoint" -- timeout 20 "$clcnn" eval --checkpoint /dev/zero --data "$work/data"
expect 1 "$work/fifo: not a regular file; expected a checkpoint" -- timeout 20 "$clcnn" eval --checkpoint "$work/fifo" --data "$work/data"
expect 1 "$work/fifo: not a regular file; expected a PNG or JPEG image" -- timeout 20 "$clcnn" predict --checkpoint "$work/run/checkpoint-best.ckpt" "$work/fifo"
expect 1 "model file $work/fifo is not a regular file" -- timeout 20 "$clcnn" train --data "$work/data" --model "$work/fifo"

# ---- devices: a table that fits 80 columns, --long and --json with versions and extensions
"$clcnn" devices > "$work/devices.txt" \
    && widest=$(LC_ALL=C.UTF-8 bash -c 'm=0; while IFS= read -r l; do [ ${#l} -gt $m ] && m=${#l}; done; echo $m' < "$work/devices.txt") \
    && [ "$widest" -le 80 ] && grep -q "^ref " "$work/devices.txt" \
    && pass "devices fits 80 columns (widest $widest)" || fail "devices table: $(cat "$work/devices.txt")"
"$clcnn" devices --long > "$work/devices-long.txt" && grep -q "^  version  *OpenCL [0-9]" "$work/devices-long.txt" \
    && grep -q "^  extensions  *cl_khr" "$work/devices-long.txt" \
    && pass "devices --long shows the version and extensions" || fail "devices --long: $(head -20 "$work/devices-long.txt")"
"$clcnn" devices --json | grep -q '"extensions":\[' && pass "devices --json lists extensions" || fail "devices --json"

# ---- PoCL without a place for its cache (a service user's HOME) and an unwritable program
# cache: each says what is wrong
icd_dir=${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}
if [ -f "$icd_dir/pocl.icd" ]; then
    mkdir -p "$work/pocl-only" && cp "$icd_dir/pocl.icd" "$work/pocl-only/"
    env -u POCL_CACHE_DIR -u XDG_CACHE_HOME OCL_ICD_VENDORS="$work/pocl-only" HOME=/proc/no-home \
        "$clcnn" devices > "$work/no-cache.txt" 2>&1
    grep -q "PoCL is installed but cannot create its kernel cache /proc/no-home/.cache/pocl (/proc/no-home: No such file or directory); set POCL_CACHE_DIR, or HOME, to a writable folder" "$work/no-cache.txt" \
        && pass "PoCL that cannot create its cache is named as the problem" || fail "PoCL cache: $(cat "$work/no-cache.txt")"
    expect 2 "PoCL is installed but cannot create its kernel cache" -- env -u POCL_CACHE_DIR -u XDG_CACHE_HOME \
        OCL_ICD_VENDORS="$work/pocl-only" HOME=/proc/no-home "$clcnn" train --data "$work/data" --out "$work/x"
fi
expect 2 "no OpenCL driver is installed (no .icd file in $work/nothing)" -- env OCL_ICD_VENDORS="$work/nothing" "$clcnn" check --device 0
CLCNN_CACHE_DIR=/proc/no-cache "$clcnn" build --device pocl > /dev/null 2> "$work/cache.err"
[ "$(grep -c "warning: the program cache is not writable (cannot create cache folder /proc/no-cache" "$work/cache.err")" -eq 1 ] \
    && pass "an unwritable program cache is warned about once" || fail "cache warning: $(cat "$work/cache.err")"

# ---- -h on every command, --version; the README's table names exactly the flags --help offers
readme=$(dirname "$0")/../README.md
for command in devices build check summary train eval predict bench profile tune; do
    "$clcnn" "$command" -h > "$work/help.txt" 2>&1 && grep -q "^Usage: clcnn $command \[OPTION...\]" "$work/help.txt" \
        || fail "clcnn $command -h: $(head -2 "$work/help.txt")"
    offered=$(grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' "$work/help.txt" | grep -oE -- '--[a-z-]+' \
        | grep -vxE -- '--(help|usage)' | sort | tr '\n' ' ')
    documented=$(grep -m1 -o "^| \`clcnn $command[^\`]*\`" "$readme" | grep -oE -- '--[a-z-]+' | sort -u | tr '\n' ' ')
    [ -n "$offered" ] && [ "$offered" = "$documented" ] \
        || fail "clcnn $command: --help offers '$offered', the README documents '$documented'"
done
pass "every command takes -h, and the README documents its flags"
expect 2 "clcnn train: unrecognized option '--frobnicate'" -- "$clcnn" train --frobnicate
expect 2 "clcnn build: unexpected argument 'extra'" -- "$clcnn" build extra
"$clcnn" tune --usage | tr "\n" " " | grep -q "^Usage: clcnn tune .*--runs=N" && pass "--usage prints the short usage" || fail "--usage"
[ "$("$clcnn" --version)" = "clcnn $(sed -n 's/^project(clcnn VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")" ] \
    && pass "--version prints the project's version" || fail "--version: $("$clcnn" --version)"

# ---- results written into a full disk are not silently lost
"$clcnn" summary > /dev/full 2> "$work/full.err"
[ $? -eq 1 ] && grep -q "clcnn summary: writing the results to standard output failed: No space left on device" "$work/full.err" \
    && pass "a full standard output is an error" || fail "stdout to /dev/full: $(cat "$work/full.err")"

# ---- a reader that goes away (| head) ends the output quietly, SIGPIPE ignored or not
"$clcnn" summary 2> "$work/pipe.err" | true
(trap '' PIPE; "$clcnn" summary 2>> "$work/pipe.err" | true)
[ ! -s "$work/pipe.err" ] && pass "a closed pipe ends the output quietly" || fail "closed pipe: $(cat "$work/pipe.err")"

# ---- model files: the summary, a model of one's own trained and evaluated, a bad line
"$clcnn" summary --model "$examples/fashion-mnist.model" > "$work/summary.txt" \
    && grep -q "Total params: 421,642" "$work/summary.txt" && grep -q "(None, 7, 7, 64)" "$work/summary.txt" \
    && pass "summary --model prints the file's model" || fail "summary --model: $(cat "$work/summary.txt")"
printf 'input height=32 width=32 channels=3\nconv2d filters=4 kernel=3 stride=2 activation=relu name=c\n'\
'conv2d filters=4 kernel=1 activation=relu\nadd from=c\nflatten\ndense units=10 activation=softmax\n' > "$work/own.model"
"$clcnn" train --model "$work/own.model" --data "$work/data" --epochs 1 --batch 16 --out "$work/own" \
    > "$work/own.txt" 2>&1 && grep -q "Connected to" "$work/own.txt" && [ -s "$work/own/report.txt" ] \
    && pass "train --model trains a residual model file" || fail "train --model: $(tail -3 "$work/own.txt")"
"$clcnn" eval --checkpoint "$work/own/checkpoint-best.ckpt" --data "$work/data" --out "$work/own-eval" \
    > "$work/own-eval.txt" 2>&1 && grep -q "airplane" "$work/own-eval.txt" \
    && pass "eval takes the model and class names from the checkpoint" || fail "eval: $(tail -3 "$work/own-eval.txt")"
printf 'input height=32 width=32 channels=3\nconv2d filters=4 kernal=3\n' > "$work/bad.model"
expect 1 "$work/bad.model:2: conv2d: unknown keyword 'kernal'" -- "$clcnn" train --model "$work/bad.model" --data "$work/data"
printf 'input height=32 width=32 channels=3\nflatten\ndense units=7 activation=softmax\n' > "$work/seven.model"
expect 2 "data format 'mnist': expected cifar10, cifar100 or idx" -- "$clcnn" train --data "$work/data" --format mnist
expect 1 "the model ends in 7 classes but $work/data has 10" -- "$clcnn" train --data "$work/data" --model "$work/seven.model"
# ---- predict: PNG and JPEG of any size and colour, converted with a note; bad files one by one
best="$work/run/checkpoint-best.ckpt"
"$make_jpeg" "$work/colour.jpg" 48 36 3 && "$make_jpeg" "$work/gray.jpg" 20 20 1 || fail "make_jpeg"
head -c 500 "$corpus/image/rgb-32.png" > "$work/corrupt.png"
head -c 300 "$work/colour.jpg" > "$work/truncated.jpg"
"$clcnn" predict --checkpoint "$best" "$corpus/image/rgb-32.png" > "$work/predict.txt" 2>/dev/null \
    && grep -q "rgb-32.png: .* [0-9.]*, .* [0-9.]*, .* [0-9.]*" "$work/predict.txt" \
    && pass "predict prints the top 3 classes" || fail "predict: $(cat "$work/predict.txt")"
for image in "$corpus"/image/*.png "$work/colour.jpg" "$work/gray.jpg"; do
    "$clcnn" predict --checkpoint "$best" "$image" > "$work/predict.txt" 2> "$work/predict.err" \
        && grep -q "^$image: .*, .*, " "$work/predict.txt" || fail "predict $image: $(cat "$work/predict.err")"
done
pass "predict reads 8-bit, 16-bit, gray, RGBA PNG and colour and gray JPEG"
grep -q "note: $work/gray.jpg: 20 x 20 grayscale JPEG, taken as 32 x 32 RGB" "$work/predict.err" \
    && pass "a converted image gets a note" || fail "no note: $(cat "$work/predict.err")"
"$clcnn" predict --checkpoint "$best" "$corpus/image/rgb-8.png" "$work/run/history.csv" "$work/corrupt.png" \
    "$work/truncated.jpg" "$work/colour.jpg" /nonexistent.png > "$work/predict.txt" 2> "$work/predict.err"
status=$?
[ $status -eq 1 ] && [ "$(wc -l < "$work/predict.txt")" -eq 2 ] \
    && grep -q "history.csv: neither a PNG nor a JPEG image" "$work/predict.err" \
    && grep -q "corrupt.png: corrupt PNG" "$work/predict.err" \
    && grep -q "truncated.jpg: corrupt JPEG" "$work/predict.err" \
    && grep -q "/nonexistent.png: cannot open: No such file or directory" "$work/predict.err" \
    && grep -q "4 of 6 images could not be read" "$work/predict.err" \
    && pass "bad images are reported one by one, the good ones classified, exit 1" \
    || fail "predict with bad files: exit $status: $(cat "$work/predict.txt" "$work/predict.err")"
images=()
for i in $(seq 1 150); do images+=("$corpus/image/rgb-32.png"); done
"$clcnn" predict --checkpoint "$best" "${images[@]}" > "$work/predict.txt" 2>/dev/null \
    && [ "$(wc -l < "$work/predict.txt")" -eq 150 ] \
    && pass "150 images are classified in batches" || fail "150 images: $(wc -l < "$work/predict.txt") lines"
expect 2 "no image given" -- "$clcnn" predict --checkpoint "$best"
expect 2 "--out does not apply here" -- "$clcnn" predict --checkpoint "$best" --out "$work/x" "$corpus/image/rgb-32.png"
expect 2 "--data does not apply here" -- "$clcnn" predict --checkpoint "$best" --data "$work/data" "$corpus/image/rgb-32.png"

# ---- a small ResNet (batch norm, average pooling, a residual add) with SGD, Nesterov momentum
# and weight decay: trains, and a run resumed after epoch 1 (without repeating the optimizer's
# flags) ends with the same weights, velocities and moving statistics as an uninterrupted one
printf 'input height=32 width=32 channels=3\nconv2d filters=8 kernel=3 stride=2 padding=same use_bias=false\n'\
'batchnorm\nactivation activation=relu name=stem\nconv2d filters=8 kernel=3 padding=same use_bias=false\n'\
'batchnorm\nadd from=stem\nactivation activation=relu\navgpool2d pool=2\nglobal_avgpool2d\n'\
'dense units=10 activation=softmax\n' > "$work/resnet.model"
sgd=(--optimizer sgd --momentum 0.9 --nesterov --weight-decay 5e-4 --lr 0.05 --label-smoothing 0.1)
"$clcnn" train --model "$work/resnet.model" --data "$work/data" --epochs 2 --batch 16 "${sgd[@]}" --out "$work/resnet" > "$work/resnet.log" 2>&1 \
    && "$clcnn" train --model "$work/resnet.model" --data "$work/data" --epochs 1 --batch 16 "${sgd[@]}" --out "$work/resnet-split" > /dev/null 2>&1 \
    && "$clcnn" train --resume "$work/resnet-split" --epochs 2 > "$work/resnet-resume.log" 2>&1 \
    && "$checkpoint_diff" "$work/resnet/checkpoint-last.ckpt" "$work/resnet-split/checkpoint-last.ckpt" \
    && grep -q "BatchNormalization" "$work/resnet.log" \
    && grep -q "Optimizer: sgd, lr 0.05, momentum 0.9 (Nesterov), weight decay 0.0005 on the kernels; label smoothing 0.1" "$work/resnet-resume.log" \
    && pass "a small ResNet trains with SGD, and resumes bit for bit" || fail "resnet: $(tail -3 "$work/resnet.log" "$work/resnet-resume.log")"
expect 1 "--optimizer adam contradicts the run in $work/resnet, which was started with --optimizer sgd" -- "$clcnn" train --resume "$work/resnet" --optimizer adam
expect 2 "--momentum and --nesterov are sgd's; give --optimizer sgd" -- "$clcnn" train --data "$work/data" --momentum 0.9
expect 2 "--optimizer expects adam, adamw or sgd, got 'rmsprop'" -- "$clcnn" train --data "$work/data" --optimizer rmsprop

# ---- a model file's train line sets what no flag does; a flag still wins; a bad value is named
printf 'input height=32 width=32 channels=3\nflatten\ndense units=10 activation=softmax\n'\
'train epochs=1 batch=24 optimizer=sgd momentum=0.5 nesterov=true validation_split=0.25\n' > "$work/trained.model"
"$clcnn" train --model "$work/trained.model" --data "$work/data" --out "$work/trained" > "$work/trained.log" 2>&1 \
    && grep -q "validating on 60 (the last 25%), batch 24, 1 epochs" "$work/trained.log" \
    && grep -q "Optimizer: sgd, lr 0.01, momentum 0.5 (Nesterov)" "$work/trained.log" \
    && "$clcnn" train --model "$work/trained.model" --data "$work/data" --batch 12 --out "$work/trained-flag" 2>&1 \
        | grep -q "batch 12, 1 epochs" \
    && pass "the train line sets the run's settings, and flags win over it" \
    || fail "train line: $(tail -3 "$work/trained.log")"
printf 'input height=32 width=32 channels=3\nflatten\ndense units=10 activation=softmax\ntrain batch=lots\n' > "$work/badtrain.model"
expect 2 "$work/badtrain.model: train: batch=lots is not a valid setting" -- "$clcnn" train --model "$work/badtrain.model" --data "$work/data"

# ---- --early-stopping 1: the run stops the epoch after val_accuracy first fails to improve,
# and the report is of the best epoch's weights (the same as eval of checkpoint-best.ckpt)
"$clcnn" train --data "$work/data" --epochs 15 --batch 16 --lr 0.01 --early-stopping 1 --out "$work/early" \
    > "$work/early.log" 2>&1 || fail "early stopping run: $(tail -3 "$work/early.log")"
read -r ran best < <(awk -F, 'NR > 1 { if ($5 > top) { top = $5; best = $1 } ran = $1 } END { print ran, best }' "$work/early/history.csv")
"$clcnn" eval --checkpoint "$work/early/checkpoint-best.ckpt" --data "$work/data" --out "$work/early-eval" > /dev/null 2>&1
if [ "$ran" -lt 15 ]; then
    [ $((ran - best)) -eq 1 ] && grep -q "Early stopping: val_accuracy has not improved for 1 epochs" "$work/early.log" \
        && grep -q "model after epoch $best;" "$work/early/report.txt" \
        && [ "$(grep -o 'accuracy [0-9.]*$' "$work/early/report.txt" | head -1)" = "$(grep -o 'accuracy [0-9.]*$' "$work/early-eval/report.txt" | head -1)" ] \
        && pass "early stopping after epoch $ran reports the best epoch, $best" \
        || fail "early stopping: ran $ran, best $best: $(grep -E 'Early|Test set' "$work/early.log")"
else
    ! grep -q "Early stopping" "$work/early.log" && pass "no early stop: val_accuracy improved every epoch" \
        || fail "early stopping with 15 epochs run"
fi

# ---- a model of 100 classes (CIFAR-100's format): every buffer sized by the model's classes
mkdir -p "$work/c100"
for i in $(seq 0 39); do
    printf "\\x$(printf %02x $((i % 20)))\\x$(printf %02x $((i * 37 % 100)))"
    head -c 3072 /dev/urandom
done > "$work/c100/train.bin"
head -c $((3074 * 8)) "$work/c100/train.bin" > "$work/c100/test.bin"
printf 'input height=32 width=32 channels=3\nconv2d filters=2 kernel=3 activation=relu\nflatten\ndense units=100 activation=softmax\n' > "$work/c100.model"
"$clcnn" train --data "$work/c100" --model "$work/c100.model" --epochs 1 --batch 8 --out "$work/c100-run" > "$work/c100.log" 2>&1 \
    && "$clcnn" predict --checkpoint "$work/c100-run/checkpoint-last.ckpt" "$corpus/image/rgb-32.png" > "$work/predict.txt" 2>&1 \
    && grep -q "rgb-32.png: .*, .*, " "$work/predict.txt" \
    && pass "train and predict with a 100-class model" || fail "100 classes: $(tail -3 "$work/c100.log" "$work/predict.txt")"

# ---- a checkpoint of another model: refused for resuming and for evaluation
mkdir -p "$work/other" && cp "$corpus/checkpoint/tiny.ckpt" "$work/other/checkpoint-last.ckpt"
expect 1 "holds a different model" -- "$clcnn" train --resume "$work/other" --data "$work/data" \
    --model "$examples/cifar10-tutorial.model"
expect 1 "the model's input is height=2 width=2 channels=1 but the images of $work/data are height=32 width=32 channels=3" \
    -- "$clcnn" train --resume "$work/other" --data "$work/data"
expect 1 "the model's input is height=2 width=2 channels=1" -- "$clcnn" eval --checkpoint "$work/other/checkpoint-last.ckpt" --data "$work/data" --out "$work/other"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
