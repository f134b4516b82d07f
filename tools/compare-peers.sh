#!/usr/bin/env bash
# The peer comparison, in one command and one run (these machines are noisy and not always the
# same CPU): one epoch of a model's recipe in clcnn on PoCL, in the tutorial's own Keras code
# on TensorFlow-CPU, and in PyTorch 2, all from PyPI, on the same random data of the dataset's
# shape (STEPS training steps of 64 images, then VAL validation images), with the same threads,
# pinned to the same cores. Rounds are interleaved (each peer runs once per round: a warm-up
# epoch, then EPOCHS timed ones) and the table gives each peer's median, spread and ratio to
# the fastest. Debian's PyTorch (python3-torch) joins when it is installed.
#
# Every peer gets its best settings: threads pinned with taskset, OPENBLAS_NUM_THREADS=1, glibc
# malloc told to keep freed buffers in the heap (GLIBC_TUNABLES, the environment form of
# mallopt's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD: without it PyTorch returns its 4-8 MB
# activations to the kernel every step and faults them in again). Keras runs twice, with
# model.compile's default (XLA) and with jit_compile=False: which is faster varies from run to
# run here. PyTorch runs channels-last, the faster of its layouts here.
#
# The virtual environments live outside the repository, in $CLCNN_PEERS (default
# ~/.cache/clcnn-peers), made on first use from PyPI: tensorflow-cpu and keras; torch with
# --no-deps (the PyPI wheel is built for CUDA and would pull gigabytes of CUDA libraries), its
# pure-Python dependencies and the four nvidia-* wheels whose libraries `import torch` loads.
# Needs python3-venv and about 4 GB of disk.
#
# --baseline DIR adds a second clcnn (a folder holding an older build's clcnn and libclcnn.so),
# so that a change is measured before and after in the same run.
#
# usage: tools/compare-peers.sh [--model tutorial|fashion-bn] [--threads N] [--rounds R]
#                               [--epochs E] [--steps S] [--val V] [--build DIR]
#                               [--baseline DIR] [--setup]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=tutorial threads=$(nproc) rounds=3 epochs=2 steps=80 val=1280 build=$root/build setup_only=0
baseline=""
while [ $# -gt 0 ]; do
    case $1 in
        --model) model=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --val) val=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --baseline) baseline=$2; shift 2 ;;
        --setup) setup_only=1; shift ;;
        *) echo "compare-peers: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
    esac
done
case $model in
    tutorial) model_file=$root/examples/cifar10-tutorial.model flags=() ;;
    fashion-bn) model_file=$root/examples/fashion-mnist-bn.model flags=(--optimizer adamw --lr 0.003) ;;
    *) echo "compare-peers: --model is tutorial or fashion-bn, not '$model'" >&2; exit 2 ;;
esac
peers=${CLCNN_PEERS:-$HOME/.cache/clcnn-peers}
python=${PYTHON:-/usr/bin/python3}

setup() {
    mkdir -p "$peers"
    if ! "$peers/keras/bin/python" -c "import keras, tensorflow" 2>/dev/null; then
        echo "compare-peers: making $peers/keras (tensorflow-cpu, keras)" >&2
        "$python" -m venv "$peers/keras"
        "$peers/keras/bin/pip" install -q tensorflow-cpu keras numpy
    fi
    if ! "$peers/torch/bin/python" -c "import torch" 2>/dev/null; then
        echo "compare-peers: making $peers/torch (torch without its CUDA dependencies)" >&2
        "$python" -m venv "$peers/torch"
        "$peers/torch/bin/pip" install -q --no-deps torch
        "$peers/torch/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy
        # the CUDA libraries libtorch_cuda.so links and torch does not bundle, at torch's pins
        local pins
        pins=$("$peers/torch/bin/python" - <<'PYTHON'
import importlib.metadata as m, re
for r in m.requires("torch"):
    name = re.match(r"[A-Za-z0-9_.-]+", r).group(0)
    if name in ("nvidia-cusparselt-cu13", "nvidia-nvshmem-cu13", "nvidia-nccl-cu13"):
        print(r.split(";")[0].replace(" ", ""))
PYTHON
)
        "$peers/torch/bin/pip" install -q --no-deps $pins nvidia-cufile
        "$peers/torch/bin/python" -c "import torch"
    fi
}
setup
[ "$setup_only" = 1 ] && exit 0
[ -x "$build/clcnn" ] || { echo "compare-peers: no $build/clcnn; build clcnn first (README)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=$((steps * 64 + val))
# clcnn reads a dataset folder: the same count of random images in the dataset's own format,
# the last VAL of them validating (--validation-split), as validation_split does in Keras
"$peers/keras/bin/python" - "$work/data" "$model" "$count" <<'PYTHON'
import gzip, os, struct, sys
import numpy as np
folder, model, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(folder)
rng = np.random.default_rng(0)
if model == "tutorial":
    for i, n in enumerate([count // 5] * 4 + [count - 4 * (count // 5)] + [64]):
        records = rng.integers(0, 256, size=(n, 3073), dtype=np.uint8)
        records[:, 0] %= 10
        records.tofile(f"{folder}/{f'data_batch_{i + 1}' if i < 5 else 'test_batch'}.bin")
    open(f"{folder}/batches.meta.txt", "w").write(
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
else:
    for prefix, n in [("train", count), ("t10k", 64)]:
        with gzip.open(f"{folder}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28))
            f.write(rng.integers(0, 256, size=n * 784, dtype=np.uint8).tobytes())
        with gzip.open(f"{folder}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 0x801, n))
            f.write(rng.integers(0, 10, size=n, dtype=np.uint8).tobytes())
PYTHON
grep -v '^train' "$model_file" > "$work/network.model" # the comparison sets the recipe itself

cores=0-$((threads - 1))
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$threads POCL_MAX_PTHREAD_COUNT=$threads
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296
export TF_CPP_MIN_LOG_LEVEL=3
keras_version=$("$peers/keras/bin/python" -c 'import keras; print(keras.__version__)' 2>/dev/null)
tf_version=$("$peers/keras/bin/python" -c 'import tensorflow as t; print(t.__version__)' 2>/dev/null)
names=(clcnn keras keras-graph torch)
labels=("clcnn $(git -C "$root" describe --always --dirty 2>/dev/null || echo) on PoCL"
        "Keras $keras_version on TensorFlow-CPU $tf_version (XLA, the default)"
        "Keras $keras_version on TensorFlow-CPU $tf_version (jit_compile=False)"
        "PyTorch $("$peers/torch/bin/python" -c 'import torch; print(torch.__version__)') (PyPI, eager, channels-last)")
if [ -n "$baseline" ]; then
    [ -x "$baseline/clcnn" ] || { echo "compare-peers: no $baseline/clcnn" >&2; exit 1; }
    names+=(baseline)
    labels+=("clcnn baseline ($baseline) on PoCL")
fi
if "$python" -c "import torch" 2>/dev/null; then
    names+=(debian-torch)
    labels+=("PyTorch $("$python" -c 'import torch; print(torch.__version__)') (Debian, eager)")
fi

run_peer() { # NAME ROUND: appends its timed epochs' seconds to $work/NAME.times
    local out=$work/$1.times
    case $1 in
        clcnn | baseline)
            local binary=$build
            [ "$1" = baseline ] && binary=$baseline
            LD_LIBRARY_PATH=$binary${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} taskset -c "$cores" "$binary/clcnn" train --data "$work/data" --model "$work/network.model" \
                "${flags[@]}" --validation-split "$(awk -v v="$val" -v c="$count" 'BEGIN {print v / c}')" \
                --epochs $((epochs + 1)) --out "$work/$1-run$2" > "$work/$1.log" 2>&1 ||
                { cat "$work/$1.log" >&2; exit 1; }
            awk -F, 'NR > 2 {print $6}' "$work/$1-run$2/history.csv" >> "$out" ;;
        keras | keras-graph)
            local jit=auto
            [ "$1" = keras-graph ] && jit=off
            taskset -c "$cores" "$peers/keras/bin/python" "$root/tools/peers/keras_epoch.py" \
                "$model" "$threads" "$steps" "$val" "$epochs" "$jit" 2> "$work/keras.log" >> "$out" ||
                { cat "$work/keras.log" >&2; exit 1; } ;;
        torch)
            taskset -c "$cores" "$peers/torch/bin/python" "$root/tools/peers/torch_epoch.py" \
                "$model" "$threads" "$steps" "$val" "$epochs" nhwc >> "$out" ;;
        debian-torch)
            taskset -c "$cores" "$python" "$root/tools/peers/torch_epoch.py" \
                "$model" "$threads" "$steps" "$val" "$epochs" nhwc >> "$out" ;;
    esac
}
for round in $(seq 1 "$rounds"); do
    for name in "${names[@]}"; do
        echo "compare-peers: round $round/$rounds: $name" >&2
        run_peer "$name" "$round"
    done
done

peak=""
[ -x "$build/fma_peak" ] && peak=$(taskset -c "$cores" "$build/fma_peak" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $3 > p {p = $3} END {print p}')
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores${peak:+, measured FP32 FMA peak $peak GFLOP/s}"
echo "model: $model ($(basename "$model_file")), one epoch = $steps training steps of 64 + $val validation images;" \
     "$threads threads pinned to cores $cores; $rounds interleaved rounds of $epochs timed epochs"
echo
for i in "${!names[@]}"; do
    sort -g "$work/${names[$i]}.times" | awk -v label="${labels[$i]}" \
        '{t[NR] = $1} END {m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
          printf "%s\t%.3f\t%.3f\t%.3f\t%d\n", label, m, t[1], t[NR], NR}'
done | sort -t$'\t' -k2,2g | awk -F'\t' '
    NR == 1 {fastest = $2
             printf "| %-58s | %10s | %15s | %10s |\n", "peer", "median (s)", "min - max (s)", "/ fastest"
             printf "|%s|%s|%s|%s|\n", "------------------------------------------------------------",
                    "-----------:", "----------------:", "-----------:"}
    {printf "| %-58s | %10.3f | %7.3f - %5.3f | %10.2f |\n", $1, $2, $3, $4, $2 / fastest}'
