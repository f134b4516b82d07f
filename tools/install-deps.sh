#!/usr/bin/env bash
# Installs everything clcnn needs to build and test on Debian 12 / Ubuntu 22.04 or newer.
# Every package is Debian's own; README.md says why each is used. Escalates with sudo when
# not run as root.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    gcc make cmake pkg-config \
    ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo \
    libclblast-dev \
    check \
    libjson-c-dev libcairo2-dev libfontconfig-dev libpng-dev \
    oclgrind valgrind
