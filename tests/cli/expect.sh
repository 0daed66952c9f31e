#!/usr/bin/env bash
# Runs a front-end and checks how it failed (or succeeded):
#   expect.sh RC REGEX [--clean PATH]... [--absent PATH]... [--stdout REGEX] -- COMMAND...
# passes when COMMAND exits with RC, the last stderr line matches REGEX (grep -E), stderr holds no
# crash or stack trace, and every --absent PATH does not exist afterwards (no partial output).
# --clean and --absent paths are removed before the command runs.
set -u
want_rc=$1 regex=$2
shift 2
absent=() clean=() stdout_regex=""
while [[ $# -gt 0 && $1 != "--" ]]; do
  case $1 in
    --absent) absent+=("$2"); shift 2 ;;
    --clean) clean+=("$2"); shift 2 ;;
    --stdout) stdout_regex=$2; shift 2 ;;
    *) echo "expect.sh: bad argument $1" >&2; exit 2 ;;
  esac
done
shift
for p in "${absent[@]}" "${clean[@]}"; do rm -rf "$p"; done
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
rc=$?
fail=0
if [[ $rc -ne $want_rc ]]; then echo "FAIL: exit $rc, expected $want_rc"; fail=1; fi
last=$(tail -n 1 "$err")
if ! grep -qE -- "$regex" <<<"$last"; then echo "FAIL: last stderr line does not match /$regex/"; fail=1; fi
if grep -qE "terminate called|Exception raised from|frame #[0-9]|Segmentation|Aborted" "$err"; then
  echo "FAIL: crash or stack trace on stderr"; fail=1
fi
errors=$(grep -c "error:" "$err")
if [[ $want_rc -ne 0 && $errors -gt 1 ]]; then echo "FAIL: $errors error lines, expected one"; fail=1; fi
if [[ -n $stdout_regex ]] && ! grep -qE -- "$stdout_regex" "$out"; then
  echo "FAIL: stdout does not match /$stdout_regex/"; fail=1
fi
for p in "${absent[@]}"; do
  if [[ -e $p ]]; then echo "FAIL: $p exists (partial output)"; fail=1; fi
done
if [[ $fail -ne 0 ]]; then
  echo "--- command: $*"; echo "--- stdout:"; head -c 2000 "$out"; echo "--- stderr:"; head -c 4000 "$err"
fi
exit $fail
