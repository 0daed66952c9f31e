#!/usr/bin/env bash
# Builds fmkit's libFuzzer targets (tests/fuzz/, -DFMKIT_FUZZ=ON) with clang into build-fuzz/ and
# runs each one, one at a time, on a copy of its seed corpus (the committed corpus never grows).
#   scripts/fuzz.sh [--smoke | --minutes N] [TARGET...]
#     --smoke      10 seconds per target (the default; what CI runs)
#     --minutes N  N minutes per target
#     TARGET       e.g. csv_dataset or fuzz_csv_dataset; default: every tests/fuzz/fuzz_*.cpp
# Before fuzzing a target, its crash reproducers in tests/fuzz/regressions/<target>/ are replayed.
# Prints runs, exec/s, coverage and corpus size per target; exits 1 when any target found a crash
# (sanitizer report, escaped exception, broken property, timeout or out-of-memory), with the
# reproducer under build-fuzz/artifacts/<target>/ and the log under build-fuzz/logs/.
# Installs what is missing through scripts/setup.sh --with-fuzz (clang, libclang-rt-14-dev).
# Environment: FM_FUZZ_JOBS (build jobs, default nproc), FM_FUZZ_NICE (niceness of the fuzzers,
# default 0), FM_FUZZ_FLAGS (extra libFuzzer flags, e.g. -use_value_profile=1).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
targets=()
while (($#)); do
  case "$1" in
    --smoke) seconds=10 ;;
    --minutes)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || { echo "fuzz.sh: --minutes needs N > 0" >&2; exit 2; }
      seconds=$(($2 * 60))
      shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option: $1" >&2; exit 2 ;;
    *) targets+=("fuzz_${1#fuzz_}") ;;
  esac
  shift
done
if ((${#targets[@]} == 0)); then
  for src in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/$t.cpp ]] || { echo "fuzz.sh: no target $t (tests/fuzz/$t.cpp)" >&2; exit 2; }
done

start=$(date +%s)

# Packages: clang with libFuzzer and the sanitizer runtimes, and what the top-level configure needs
# (cmake/Dependencies.cmake finds LibTorch even though no fuzz target uses it).
scripts/setup.sh --with-fuzz --no-build

build=build-fuzz
if ! grep -q '^FMKIT_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFMKIT_FUZZ=ON -DFMKIT_BUILD_TESTS=OFF -DFMKIT_INSTALL=OFF >/dev/null
fi
cmake --build "$build" --target "${targets[@]}" --parallel "${FM_FUZZ_JOBS:-$(nproc)}"
built=$(date +%s)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/logs"
failed=()
printf '%-24s %10s %8s %6s %7s %8s  %s\n' target runs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  bin=$build/fuzz/$t
  log=$build/logs/$name.log
  work=$build/corpus/$name
  artifacts=$build/artifacts/$name
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  : >"$log"
  # Seeds and reproducers in one copy (named by content, as libFuzzer names its own inputs).
  for f in tests/fuzz/corpus/"$name"/* tests/fuzz/regressions/"$name"/*; do
    [[ -f $f ]] && cp "$f" "$work/$(sha1sum <"$f" | cut -c1-40)"
  done
  flags=(-timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
         "-artifact_prefix=$artifacts/")
  [[ -f tests/fuzz/dict/$name.dict ]] && flags+=("-dict=tests/fuzz/dict/$name.dict")
  # shellcheck disable=SC2206
  flags+=(${FM_FUZZ_FLAGS:-})
  result=ok
  regressions=(tests/fuzz/regressions/"$name"/*)
  if [[ -f ${regressions[0]} ]] &&
     ! nice -n "${FM_FUZZ_NICE:-0}" "$bin" "${flags[@]}" "${regressions[@]}" >>"$log" 2>&1; then
    result="REGRESSION (replaying tests/fuzz/regressions/$name)"
  elif ! nice -n "${FM_FUZZ_NICE:-0}" "$bin" "${flags[@]}" -max_total_time="$seconds" "$work" \
         >>"$log" 2>&1; then
    result="CRASH: $(ls -t "$artifacts" 2>/dev/null | head -1 | sed "s|^|$artifacts/|")"
  fi
  [[ $result == ok ]] || failed+=("$name")
  # The last status line ("#N DONE cov: C ft: F corp: U/Sb ...") and the final stats.
  status=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$status")
  printf '%-24s %10s %8s %6s %7s %8s  %s\n' "$name" "${runs:--}" "${execs:--}" "${cov:--}" \
         "${ft:--}" "${corp:--}" "$result"
done

end=$(date +%s)
echo "fuzz.sh: build $((built - start)) s, fuzzing $((end - built)) s, total $((end - start)) s" \
     "(${seconds} s per target; logs in $build/logs/)"
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]} — reproduce with $build/fuzz/fuzz_<target> <file>" >&2
  exit 1
fi
