#!/usr/bin/env bash
# Interruptions lose nothing. SIGINT, SIGTERM and SIGHUP mid-epoch: the step finishes, a checkpoint
# is written, the exit status is 130 and the message says how to resume; resuming ends with
# the weights of an uninterrupted run. SIGKILL at random moments (during steps and during
# checkpoint writes): the checkpoint on disk always parses, and resuming again and again
# ends with the same weights too.
# usage: test_interrupt.sh CLCNN MAKE_CIFAR CHECKPOINT_DIFF WORK_DIR
set -u
clcnn=$1 make_cifar=$2 checkpoint_diff=$3 work=$4
rm -rf "$work" && mkdir -p "$work/data"
"$make_cifar" "$work/data" 48 16 5 || exit 1
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "ok   $1"; }
fail() { failures=$((failures + 1)); echo "FAIL $1"; }
common=(--data "$work/data" --epochs 3 --batch 16)
train() { "$clcnn" train "${common[@]}" "$@"; }
# background runs start clcnn itself (not a shell function, whose subshell would take the
# signal): $! is then clcnn's pid

train --out "$work/straight" > "$work/straight.log" 2>&1 \
    && pass "uninterrupted run" || { fail "uninterrupted run"; cat "$work/straight.log"; }

# ---- SIGINT, SIGTERM and SIGHUP (a closed terminal): finish the step, save, exit 130, resume to the same weights
for signal in INT TERM HUP; do
    out="$work/signal-$signal"
    "$clcnn" train "${common[@]}" --out "$out" > "$out.log" 2>&1 &
    pid=$!
    # wait until training has started (the first epoch line, or a checkpoint) then interrupt
    for _ in $(seq 1 200); do
        grep -q "Training on" "$out.log" 2>/dev/null && break
        sleep 0.05
    done
    sleep 0.3
    kill -"$signal" "$pid"
    wait "$pid"
    status=$?
    if [ "$status" -eq 130 ] && grep -q "resume with: clcnn train --resume $out" "$out.log"; then
        pass "SIG$signal: exit 130 with the resume command"
    elif [ "$status" -eq 0 ]; then
        pass "SIG$signal arrived after the run finished (nothing to resume)"
    else
        fail "SIG$signal: exit $status: $(tail -3 "$out.log")"
    fi
    until train --resume "$out" > "$out.resume.log" 2>&1; do
        [ $? -eq 130 ] || { fail "SIG$signal resume failed: $(tail -3 "$out.resume.log")"; break; }
    done
    "$checkpoint_diff" "$work/straight/checkpoint-last.ckpt" "$out/checkpoint-last.ckpt" \
        && pass "SIG$signal: resumed weights equal the uninterrupted run's" \
        || fail "SIG$signal: resumed weights differ"
done

# ---- a signal during set-up (here: compiling every kernel into empty caches) ends the run at
# once, with nothing written; the device is not left half set up
out="$work/setup"
CLCNN_CACHE_DIR="$work/empty-cache" POCL_CACHE_DIR="$work/empty-pocl-cache" \
    "$clcnn" train "${common[@]}" --out "$out" > "$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q "^Device:" "$out.log" 2>/dev/null && break; sleep 0.02; done
kill -INT "$pid"
wait "$pid"
status=$?
if grep -q "Training on" "$out.log"; then
    echo "skip SIGINT during set-up: set-up finished before the signal"
elif [ "$status" -eq 130 ] && grep -q "interrupted during set-up, before training started; nothing was written" "$out.log" \
    && [ ! -e "$out/checkpoint-last.ckpt" ]; then
    pass "SIGINT during set-up: exit 130 at once, nothing written"
else
    fail "SIGINT during set-up: exit $status: $(tail -3 "$out.log")"
fi

# ---- SIGKILL at random moments
out="$work/killed"
RANDOM=42
kills=0
for attempt in $(seq 1 12); do
    if [ -f "$out/checkpoint-last.ckpt" ]; then
        "$clcnn" train "${common[@]}" --resume "$out" > "$out.log" 2>&1 &
    else
        "$clcnn" train "${common[@]}" --out "$out" > "$out.log" 2>&1 &
    fi
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        kills=$((kills + 1))
    fi
    wait "$pid" 2>/dev/null
    if [ -f "$out/checkpoint-last.ckpt" ]; then
        "$checkpoint_diff" "$out/checkpoint-last.ckpt" "$out/checkpoint-last.ckpt" 2>"$out.diff" \
            || fail "after SIGKILL $kills the checkpoint does not parse: $(cat "$out.diff")"
    fi
done
until [ -f "$out/checkpoint-last.ckpt" ] && train --resume "$out" > "$out.log" 2>&1 && grep -q "Wrote" "$out.log"; do
    [ -f "$out/checkpoint-last.ckpt" ] || train --out "$out" > "$out.log" 2>&1
    grep -q "Wrote" "$out.log" && break
done
pass "$kills SIGKILLs, every checkpoint on disk parsed"
"$checkpoint_diff" "$work/straight/checkpoint-last.ckpt" "$out/checkpoint-last.ckpt" \
    && pass "after $kills SIGKILLs the resumed run's weights equal the uninterrupted run's" \
    || fail "after SIGKILLs the weights differ"

# ---- a ResNet recipe stopped mid-epoch: batch norm's moving statistics, SGD's velocities,
# the cosine schedule with warm-up, weight decay, label smoothing and crop+flip augmentation
# all resume bit for bit
printf 'input height=32 width=32 channels=3\nconv2d filters=8 kernel=3 stride=2 padding=same use_bias=false\n'\
'batchnorm\nactivation activation=relu name=stem\nconv2d filters=8 kernel=3 padding=same use_bias=false\n'\
'batchnorm\nadd from=stem\nactivation activation=relu\nglobal_avgpool2d\ndense units=10 activation=softmax\n' \
    > "$work/resnet.model"
recipe=(--model "$work/resnet.model" --data "$work/data" --epochs 4 --batch 4 --optimizer sgd --momentum 0.9
        --nesterov --weight-decay 5e-4 --lr 0.05 --schedule cosine --warmup-epochs 1 --label-smoothing 0.1
        --augment crop=4,flip)
"$clcnn" train "${recipe[@]}" --out "$work/recipe-straight" > "$work/recipe-straight.log" 2>&1 \
    || fail "the recipe's straight run: $(tail -3 "$work/recipe-straight.log")"
out="$work/recipe-stopped"
"$clcnn" train "${recipe[@]}" --out "$out" > "$out.log" 2>&1 &
pid=$!
# inside epoch 2, after the first epoch's checkpoint and schedule warm-up
for _ in $(seq 1 400); do grep -q "Epoch 2/4" "$out.log" 2>/dev/null && break; sleep 0.02; done
kill -INT "$pid"
wait "$pid"
grep -q "resume with: clcnn train --resume $out" "$out.log" \
    || fail "the recipe's run was not stopped mid-run: $(tail -2 "$out.log")"
until "$clcnn" train --resume "$out" > "$out.resume.log" 2>&1; do
    [ $? -eq 130 ] || { fail "recipe resume failed: $(tail -3 "$out.resume.log")"; break; }
done
"$checkpoint_diff" "$work/recipe-straight/checkpoint-last.ckpt" "$out/checkpoint-last.ckpt" \
    && pass "the ResNet recipe (batch norm, SGD, cosine schedule) resumes bit for bit" \
    || fail "the ResNet recipe's resumed weights differ"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
