#!/usr/bin/env bash
# Installs fmkit's Debian 12 packages (idempotent: only what is missing) and builds into build/.
#   scripts/setup.sh               runtime + build dependencies, then configure and build
#   scripts/setup.sh --with-tests  also the reference implementations the tests compare against
#   scripts/setup.sh ... --with-fuzz  also clang with libFuzzer and the sanitizer runtimes
#   scripts/setup.sh ... --no-build  only the packages (sanitize.sh and fuzz.sh build their own trees)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
with_fuzz=0
build=1
for arg in "$@"; do
  case "$arg" in
    --with-tests) with_tests=1 ;;
    --with-fuzz) with_fuzz=1 ;;
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build git ca-certificates
  libtorch-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libutf8proc-dev libre2-dev
  # Without OpenBLAS, Debian's LibTorch runs on reference BLAS: about 12x slower.
  libopenblas0-openmp
)
if ((with_fuzz)); then
  packages+=(clang libclang-rt-14-dev)
fi
if ((with_tests)); then
  packages+=(libgtest-dev python3 python3-numpy python3-sklearn python3-keras-preprocessing python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# When both OpenBLAS builds are installed (python3-numpy pulls in the pthread one), Debian's
# alternatives prefer the pthread build; its threads then fight LibTorch's OpenMP threads for the
# cores (measured here: a quickstart epoch 1.5 s instead of 0.5 s). Point BLAS/LAPACK at the OpenMP
# build (LibTorch links libopenblas.so.0 as well as libblas/liblapack); `fm-train --version` shows
# which one a binary loads.
multiarch=$(gcc -print-multiarch)
for lib in libopenblas.so.0 libblas.so.3 liblapack.so.3; do
  target=/usr/lib/$multiarch/openblas-openmp/$lib
  if [[ -e $target && $(readlink -f "/usr/lib/$multiarch/$lib") != "$(readlink -f "$target")" ]]; then
    echo "setup.sh: selecting $target" >&2
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    $sudo update-alternatives --set "$lib-$multiarch" "$target"
  fi
done

((build)) || exit 0

# Tests are switched on by --with-tests and stay on for later plain runs (quickstart after tests must
# not silently drop the test targets of an existing build).
tests_flag=()
if ((with_tests)); then
  tests_flag=(-DFMKIT_BUILD_TESTS=ON)
elif [[ ! -f build/CMakeCache.txt ]]; then
  tests_flag=(-DFMKIT_BUILD_TESTS=OFF)
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${tests_flag[@]}"
cmake --build build --parallel "$(nproc)"
