#!/usr/bin/env bash
# Training across the ranks of an mpirun job on PoCL, one thread a rank: two ranks against one
# device with the same global batch (losses within 1e-4 relative, val_accuracy within 0.005),
# two jobs with the same layout identical bit for bit, a job stopped after epoch 1 and resumed
# equal to one that was not, a rank that cannot open its device
# ending the job with a message naming it, and a rank killed mid-run stopping the job with the
# last checkpoint intact.
# usage: test_mpi.sh CLCNN MAKE_CIFAR CHECKPOINT_DIFF MPIRUN WORK_DIR
set -u
clcnn=$1 make_cifar=$2 checkpoint_diff=$3 mpirun=$4 work=$5
rm -rf "$work" && mkdir -p "$work/data"
failures=0
pass() { echo "ok   $1"; }
fail() { failures=$((failures + 1)); echo "FAIL $1"; }
"$make_cifar" "$work/data" 48 40 3 || exit 1
export POCL_MAX_PTHREAD_COUNT=1
job() { "$mpirun" --oversubscribe --allow-run-as-root -np "$@"; }

"$clcnn" train --data "$work/data" --epochs 2 --batch 32 --device pocl --out "$work/one" \
    > "$work/one.log" 2>&1 || fail "one device: $(tail -3 "$work/one.log")"
for name in two two-again; do
    job 2 "$clcnn" train --data "$work/data" --epochs 2 --batch 32 --device pocl --out "$work/$name" \
        > "$work/$name.log" 2>&1 || fail "mpirun -np 2: $(tail -5 "$work/$name.log")"
done
grep -q "Data-parallel over 2 ranks of an mpirun job, one device each; a batch of 32 splits 16:16" \
    "$work/two.log" && [ "$(grep -c "^Epoch 1/2" "$work/two.log")" -eq 1 ] \
    && pass "mpirun -np 2: two ranks, rank 0 speaks for the job" || fail "two ranks: $(cat "$work/two.log")"
bash "$(dirname "$0")/histories_agree.sh" "$work/one/history.csv" "$work/two/history.csv" > "$work/agree.txt" \
    && pass "two ranks match one device: losses within 1e-4, val_accuracy within 0.005" \
    || fail "ranks against one device: $(cat "$work/agree.txt")"
"$checkpoint_diff" "$work/two/checkpoint-last.ckpt" "$work/two-again/checkpoint-last.ckpt" \
    && pass "two jobs with the same layout end with the same weights" || fail "two jobs differ"

job 2 "$clcnn" train --data "$work/data" --epochs 1 --batch 32 --device pocl --out "$work/split" \
    > "$work/split.log" 2>&1 \
    && job 2 "$clcnn" train --resume "$work/split" --epochs 2 --device pocl > "$work/resume.log" 2>&1 \
    && "$checkpoint_diff" "$work/two/checkpoint-last.ckpt" "$work/split/checkpoint-last.ckpt" \
    && pass "every rank resumes from the job's checkpoint, bit for bit" \
    || fail "resumed job: $(tail -5 "$work/resume.log")"

job 2 "$clcnn" bench --device pocl --steps 2 --json > "$work/bench.json" 2> "$work/bench.err" \
    && grep -q '"devices":2' "$work/bench.json" && grep -q '"layout":"ranks"' "$work/bench.json" && grep -q '"scaling_efficiency":' "$work/bench.json" \
    && grep -q '"exchange_ms_per_step":' "$work/bench.json" \
    && pass "mpirun -np 2 clcnn bench: the step, efficiency and exchange of two ranks" \
    || fail "mpirun bench: $(tail -5 "$work/bench.err")"

job 2 "$clcnn" train --data "$work/data" --epochs 1 --device pocl,nosuchdevice --out "$work/bad" \
    > "$work/bad.log" 2>&1
status=$?
[ $status -ne 0 ] && grep -q "rank 1 of 2 on .*: its set-up failed" "$work/bad.log" \
    && pass "a rank that cannot open its device ends the job, named" \
    || fail "bad device on rank 1: exit $status, $(tail -5 "$work/bad.log")"

"$make_cifar" "$work/data" 480 40 5 > /dev/null
job 2 "$clcnn" train --data "$work/data" --epochs 1000 --batch 32 --device pocl --out "$work/killed" \
    > "$work/killed.log" 2>&1 &
launcher=$!
for _ in $(seq 1 300); do
    [ -s "$work/killed/checkpoint-last.ckpt" ] && break
    sleep 0.1
done
victim=$(pgrep -f "clcnn train --data $work/data --epochs 1000" | sort -n | tail -1)
kill -9 "$victim"
for _ in $(seq 1 300); do
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$launcher" 2>/dev/null; then
    fail "the job still runs 30 s after a rank was killed"
    kill -9 "$launcher"
fi
wait "$launcher"
status=$?
[ $status -ne 0 ] && grep -qi "exited on signal 9" "$work/killed.log" \
    && pass "a killed rank stops the job (exit $status) and mpirun names it" \
    || fail "killed rank: exit $status, $(tail -5 "$work/killed.log")"
[ -z "$(pgrep -f "clcnn train --data $work/data --epochs 1000")" ] \
    && pass "no rank is left running" || fail "ranks left running"
"$checkpoint_diff" "$work/killed/checkpoint-last.ckpt" "$work/killed/checkpoint-last.ckpt" \
    && pass "the last checkpoint is intact" || fail "the last checkpoint does not parse"
echo "$failures failed"
[ $failures -eq 0 ]
