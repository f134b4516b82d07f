#!/usr/bin/env bash
# Installs clcnn into a folder, then builds examples/train_custom.c twice as a user would,
# with pkg-config and with CMake's find_package(clcnn), and runs both on Fashion-MNIST
# (2,000 training images, one epoch).
# usage: test_consumers.sh BUILD_DIR SOURCE_DIR WORK_DIR DATA_DIR
set -euo pipefail
build=$1 source=$2 work=$3 data=$4
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
libdir=$(find "$work/prefix" -name libclcnn.so -printf '%h\n' | head -1)

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror "$source/examples/train_custom.c" \
    $(pkg-config --cflags --libs clcnn) -Wl,-rpath,"$libdir" -o "$work/train_custom_pc"
echo "ok   built with pkg-config $(pkg-config --modversion clcnn)"

cmake -S "$source/tests/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DEXAMPLE_SOURCE="$source/examples/train_custom.c" > "$work/consumer.log"
cmake --build "$work/consumer" >> "$work/consumer.log"
echo "ok   built with find_package(clcnn)"

for program in "$work/train_custom_pc" "$work/consumer/train_custom"; do
    (cd "$work" && "$program" "$data" 1 2000) > "$work/run.txt"
    grep -q "^test: loss .* on 10000 images" "$work/run.txt" && [ -s "$work/train_custom.ckpt" ] \
        || { echo "FAIL $program: $(cat "$work/run.txt")"; exit 1; }
    echo "ok   $(basename "$program") trained and evaluated: $(tail -1 "$work/run.txt")"
    rm "$work/train_custom.ckpt"
done
echo "2 passed, 0 failed"
