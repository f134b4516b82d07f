#!/usr/bin/env bash
# Downloads the official CIFAR-10 binary version, verifies its md5 against the published
# one, and unpacks it into DIR (default: data/), giving DIR/cifar-10-batches-bin/.
# usage: tools/get-cifar10.sh [DIR]
set -euo pipefail
dir=${1:-data}
url=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
md5=c32a1d4ab5d03f1284b67883e8d87530 # published on https://www.cs.toronto.edu/~kriz/cifar.html
mkdir -p "$dir"
archive="$dir/cifar-10-binary.tar.gz"
if [ ! -s "$archive" ]; then
    echo "Downloading $url (162 MiB)..."
    if command -v curl > /dev/null; then
        curl -fL --retry 3 -o "$archive.part" "$url"
    else
        wget -O "$archive.part" "$url"
    fi
    mv "$archive.part" "$archive"
fi
echo "$md5  $archive" | md5sum -c - || {
    echo "get-cifar10: $archive does not match the official md5; delete it and retry" >&2
    exit 1
}
tar -xzf "$archive" -C "$dir"
echo "CIFAR-10 is in $dir/cifar-10-batches-bin; train with: build/clcnn train --data $dir/cifar-10-batches-bin"
