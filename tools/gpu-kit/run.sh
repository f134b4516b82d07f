#!/usr/bin/env bash
# The GPU verification kit's runner (the bundle tools/gpu-kit.sh makes). On a machine with an
# OpenCL driver but no package registry and no loader registration (a bare NVIDIA box): finds
# the driver, registers it for the bundled loader, then runs clcnn's devices, check (every
# variant), tune, bench, profile and a short training run, and the PyTorch peer on CUDA,
# writing every result under one folder. About 8 minutes at most (each step has a limit).
#
#   run.sh [--device SPEC] [--quick] [--out DIR]
#     --device SPEC  the clcnn device (default gpu); `pocl` or `cpu` uses the system's
#                    registered drivers and runs the PyTorch peer on the CPU
#     --quick        small shapes and few steps (a smoke run: how CI tests the bundle)
#     --out DIR      the results folder (default ./clcnn-gpu-kit-results)
# Exit status: 0 when every step ran and every check row passed, else 1.
set -uo pipefail
kit=$(cd "$(dirname "$0")" && pwd)
device=gpu quick=0 out=$PWD/clcnn-gpu-kit-results
while [ $# -gt 0 ]; do
    case $1 in
    --device) device=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$out" && out=$(cd "$out" && pwd) || { echo "run.sh: cannot make $out" >&2; exit 1; }
summary=$out/summary.txt
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }

# ---- libraries: the bundle's own, and its C++ runtime only where the system's is too old
export LD_LIBRARY_PATH=$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! "$kit/bin/clcnn" --version > /dev/null 2>&1; then
    export LD_LIBRARY_PATH=$kit/lib/runtime:$LD_LIBRARY_PATH
fi
"$kit/bin/clcnn" --version > "$out/version.txt" 2>&1 || {
    say "FAIL clcnn does not start here:"; cat "$out/version.txt" | tee -a "$summary"; exit 1; }

# ---- the OpenCL driver: NVIDIA's library registered for the bundled loader, unless PoCL/CPU
case $device in
pocl|cpu) say "device $device: the system's registered OpenCL drivers" ;;
*)
    nvidia=
    for candidate in $(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1/ {print $NF}') \
        /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 \
        /usr/lib64/libnvidia-opencl.so.1; do
        [ -e "$candidate" ] && { nvidia=$candidate; break; }
    done
    if [ -n "$nvidia" ]; then
        mkdir -p "$out/icd" && echo "$nvidia" > "$out/icd/nvidia.icd"
        export OCL_ICD_VENDORS=$out/icd
        say "OpenCL driver: $nvidia (registered in $out/icd)"
    else
        say "no libnvidia-opencl.so.1 found; using the system's registered OpenCL drivers"
    fi ;;
esac
# the kit's program cache and tuning store, not the user's
export CLCNN_CACHE_DIR=$out/cache

failed=0
# step NAME SECONDS COMMAND...: runs it with a time limit, output to NAME.txt
step() {
    local name=$1 limit=$2 started status
    shift 2
    started=$(date +%s)
    timeout "$limit" "$@" > "$out/$name.txt" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        say "ok   $name ($(( $(date +%s) - started )) s)"
    else
        failed=1
        say "FAIL $name: exit $status$([ $status -eq 124 ] && echo ", over its ${limit} s limit") (see $name.txt)"
    fi
    return $status
}

clcnn=$kit/bin/clcnn
step devices 60 "$clcnn" devices --long
if [ $quick -eq 1 ]; then
    # small shapes, no cold start; tune last, since its winners at small shapes would slow the rest
    step check 120 "$clcnn" check --device "$device" --shapes small --variants all
    step bench 120 "$clcnn" bench --device "$device" --steps 3 --no-cold-start --no-reference --json
    step profile 60 "$clcnn" profile --device "$device" --steps 3
    step train 120 "$clcnn" train --device "$device" --data "$kit/data/cifar-synthetic" \
        --epochs 1 --out "$out/train" --overwrite
    step tune 120 "$clcnn" tune --device "$device" --runs 1 --shapes small
    peer_steps=5
else
    step check 180 "$clcnn" check --device "$device" --shapes all --variants all
    step tune 120 "$clcnn" tune --device "$device" --runs 3
    step bench 120 "$clcnn" bench --device "$device" --steps 20 --json
    step profile 60 "$clcnn" profile --device "$device" --steps 20
    step train 120 "$clcnn" train --device "$device" --data "$kit/data/cifar-synthetic" \
        --epochs 2 --out "$out/train" --overwrite
    peer_steps=50
fi

# ---- the PyTorch peer: CUDA when there is one, else the CPU (its step is then no GPU's)
peer_device=cpu
case $device in pocl|cpu) ;; *) peer_device=cuda ;; esac
python=$(command -v python3 || true)
if [ -n "$python" ] && "$python" -c "import torch" > /dev/null 2>&1; then
    if [ $peer_device = cuda ] && ! "$python" -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
        peer_device=cpu
    fi
    step torch "$(( quick ? 60 : 120 ))" "$python" "$kit/peers/torch_step.py" tutorial "$peer_device" "$peer_steps"
else
    say "skip torch: no python3 with torch here"
fi

# ---- the summary: check rows, the step against PyTorch's
rows=$(grep -cE " PASS | FAIL " "$out/check.txt" 2>/dev/null)
failing=$(grep -c " FAIL " "$out/check.txt" 2>/dev/null)
say "check: ${rows:-0} rows, ${failing:-0} failed"
[ "${failing:-0}" = 0 ] && [ "${rows:-0}" -gt 0 ] || failed=1
field() { grep -o "\"$2\": *[0-9.e+-]*" "$1" 2>/dev/null | head -1 | sed 's/.*: *//'; }
clcnn_ms=$(field "$out/bench.txt" median_ms)
torch_ms=$(field "$out/torch.txt" median_ms)
[ -n "$clcnn_ms" ] && say "clcnn training step (batch 64): $clcnn_ms ms"
[ -n "$torch_ms" ] && say "PyTorch $peer_device step (batch 64): $torch_ms ms"
if [ -n "$clcnn_ms" ] && [ -n "$torch_ms" ]; then
    say "clcnn / PyTorch: $(awk -v a="$clcnn_ms" -v b="$torch_ms" 'BEGIN {printf "%.2f", a / b}')"
fi
say "results: $out"
exit $failed
