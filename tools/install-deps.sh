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
    libjson-c-dev libcairo2-dev libfontconfig-dev libpng-dev libjpeg-dev zlib1g-dev \
    dataset-fashion-mnist locales \
    oclgrind valgrind \
    libopenmpi-dev openmpi-bin
# The model-file tests parse under a German locale (decimal comma) to prove they ignore it.
if ! locale -a | grep -qi '^de_DE\.utf-\?8$'; then
    sed -i 's/^# *\(de_DE.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen || locale-gen de_DE.UTF-8
fi
