#!/usr/bin/env bash
# Builds the GPU verification kit: a relocatable folder (and .tar.gz) with the clcnn program,
# its library and every shared library they load except the C runtime and the OpenCL drivers,
# a small synthetic CIFAR-10 folder, the PyTorch peer and run.sh (tools/gpu-kit/run.sh), for a
# machine that has a GPU driver and PyTorch but no package registry. See docs/devices.md.
#
#   tools/gpu-kit.sh [--build DIR] [--out DIR]
#     --build DIR  a configured and built clcnn build folder (default: build)
#     --out DIR    where the kit goes (default: DIR/gpu-kit): clcnn-gpu-kit/ and its tarball
# On the GPU machine: tar xzf clcnn-gpu-kit.tar.gz && clcnn-gpu-kit/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build out=
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "gpu-kit.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
build=$(cd "$build" && pwd)
out=${out:-$build/gpu-kit}
for file in "$build/clcnn" "$build/tests/make_cifar"; do
    [ -x "$file" ] || { echo "gpu-kit.sh: $file is missing; build first (cmake --build $build)" >&2; exit 1; }
done

kit=$out/clcnn-gpu-kit
rm -rf "$kit" && mkdir -p "$kit/bin" "$kit/lib/runtime" "$kit/peers" "$kit/data"
cp "$build/clcnn" "$kit/bin/"
# Every library the loader resolves, except those that must be the target's own: the C
# library and the dynamic loader (they match its kernel), and OpenCL drivers (found there).
# libstdc++ and libgcc_s go to lib/runtime, used only where the system's are too old for
# CLBlast (run.sh tries without them first), so that a newer driver's C++ needs still win.
ldd "$build/clcnn" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r library; do
    name=$(basename "$library")
    case $name in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libpocl*|libnvidia*) ;;
    libstdc++.so.*|libgcc_s.so.*) cp -L "$library" "$kit/lib/runtime/$name" ;;
    *) cp -L "$library" "$kit/lib/$name" ;;
    esac
done
# 2,000 training and 400 test images in CIFAR-10's binary format, learnable (never the real data)
mkdir -p "$kit/data/cifar-synthetic"
"$build/tests/make_cifar" "$kit/data/cifar-synthetic" 400 400 1
cp "$root/tools/peers/torch_step.py" "$root/tools/peers/torch_epoch.py" "$kit/peers/"
cp -r "$root/examples" "$kit/examples"
cp "$root/tools/gpu-kit/run.sh" "$kit/run.sh"
chmod +x "$kit/run.sh"
git -C "$root" log -1 --format='clcnn %h %cs %s' > "$kit/VERSION" 2>/dev/null || echo "clcnn" > "$kit/VERSION"

tar -C "$out" -czf "$out/clcnn-gpu-kit.tar.gz" clcnn-gpu-kit
echo "kit: $kit ($(du -sh "$kit" | cut -f1)), archive: $out/clcnn-gpu-kit.tar.gz ($(du -h "$out/clcnn-gpu-kit.tar.gz" | cut -f1))"
