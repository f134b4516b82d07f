#!/usr/bin/env bash
# The GPU verification kit (tools/gpu-kit.sh) made from this build, unpacked in a foreign
# folder with the folder it was made in gone, and run there on PoCL (run.sh --device pocl
# --quick): every step passes, every check row passes, the results are where run.sh says, and
# the archive stays under 64 MB.
# usage: test_gpu_kit.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -u
source_dir=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work/foreign"
failures=0
pass() { echo "ok   $1"; }
fail() { failures=$((failures + 1)); echo "FAIL $1"; }

if "$source_dir/tools/gpu-kit.sh" --build "$build" --out "$work/made" > "$work/make.log" 2>&1; then
    pass "tools/gpu-kit.sh made the kit"
else
    fail "tools/gpu-kit.sh failed"; cat "$work/make.log"; exit 1
fi
bytes=$(stat -c %s "$work/made/clcnn-gpu-kit.tar.gz")
[ "$bytes" -lt $((64 * 1024 * 1024)) ] && pass "archive is $bytes bytes, under 64 MB" \
    || fail "archive is $bytes bytes, over 64 MB"
tar -C "$work/foreign" -xzf "$work/made/clcnn-gpu-kit.tar.gz" && rm -rf "$work/made"
kit=$work/foreign/clcnn-gpu-kit
LD_LIBRARY_PATH=$kit/lib ldd "$kit/bin/clcnn" | grep "libclcnn.so" | grep -qF "$kit/lib/" \
    && pass "the kit's clcnn loads the kit's libclcnn" || fail "libclcnn resolves outside the kit"

(cd "$work/foreign" && env -u CLCNN_KERNEL_DIR "$kit/run.sh" --device pocl --quick \
    --out "$work/results") > "$work/run.log" 2>&1
status=$?
[ $status -eq 0 ] && pass "run.sh --device pocl --quick exits 0" \
    || { fail "run.sh exited $status"; cat "$work/run.log"; }
for name in devices check bench profile train tune; do
    grep -q "^ok   $name " "$work/results/summary.txt" && pass "step $name ran" \
        || fail "step $name: $(grep " $name" "$work/results/summary.txt")"
done
rows=$(sed -n 's/^check: \([0-9]*\) rows, 0 failed$/\1/p' "$work/results/summary.txt")
[ "${rows:-0}" -gt 200 ] && pass "check: $rows rows, none failed, every variant forced" \
    || fail "check summary: $(grep '^check:' "$work/results/summary.txt")"
grep -q "tiled" "$work/results/check.txt" && pass "the GPU variant ran on PoCL" \
    || fail "no tiled rows in check.txt"
grep -q "^clcnn training step (batch 64): [0-9.]* ms$" "$work/results/summary.txt" \
    && pass "the summary gives the step time" || fail "no step time in the summary"
[ -s "$work/results/train/history.csv" ] && pass "the training run wrote its history" \
    || fail "no train/history.csv"
echo "$failures failed"
[ $failures -eq 0 ]
