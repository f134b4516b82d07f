#!/usr/bin/env bash
# Peer comparison, one command and one run, because these machines are noisy: one epoch of
# the tutorial's recipe (40,000 training and 10,000 validation images, batch 64, Adam) in
# PyTorch on the CPU and in clcnn on PoCL, on the same synthetic CIFAR-10-format data, with
# the same thread count. Prints both epoch times and their ratio (clcnn / PyTorch).
# Needs Debian's python3-torch (apt-get install python3-torch).
# usage: tools/compare-pytorch.sh [BUILD_DIR] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
threads=${2:-$(nproc)}
python=${PYTHON:-/usr/bin/python3} # the interpreter Debian's python3-torch and numpy belong to
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
# synthetic data: random pixels and labels in the official layout, 5 x 10,000 records
"$python" - "$work/data" <<'PYTHON'
import sys, numpy as np
rng = np.random.default_rng(0)
for name, count in [(f"data_batch_{i}", 10000) for i in range(1, 6)] + [("test_batch", 1000)]:
    records = rng.integers(0, 256, size=(count, 3073), dtype=np.uint8)
    records[:, 0] %= 10
    records.tofile(f"{sys.argv[1]}/{name}.bin")
open(f"{sys.argv[1]}/batches.meta.txt", "w").write(
    "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
PYTHON
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "threads: $threads"
pytorch=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$threads "$python" "$root/tools/pytorch_epoch.py" "$work/data" "$threads")
POCL_MAX_PTHREAD_COUNT=$threads "$build/clcnn" train --data "$work/data" --epochs 1 --out "$work/run" > "$work/clcnn.log" 2>&1
clcnn=$(awk -F, 'NR == 2 {print $6}' "$work/run/history.csv")
printf "%-28s %10s\n" "one epoch (40,000 + 10,000)" "seconds"
printf "%-28s %10.1f\n" "PyTorch $("$python" -c 'import torch; print(torch.__version__)') (CPU)" "$pytorch"
printf "%-28s %10.1f\n" "clcnn (PoCL)" "$clcnn"
awk -v a="$clcnn" -v b="$pytorch" 'BEGIN {printf "ratio clcnn / PyTorch: %.2f\n", a / b}'
