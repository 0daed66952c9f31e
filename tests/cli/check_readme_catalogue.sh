#!/usr/bin/env bash
# The README's metric table is fm-audit --list-metrics markdown, verbatim.
#   check_readme_catalogue.sh README FM_AUDIT
set -u
readme=$1 audit=$2
expected=$("$audit" --list-metrics markdown) || { echo "FAIL: fm-audit --list-metrics failed"; exit 1; }
actual=$(sed -n '/<!-- metric-catalogue:begin/,/<!-- metric-catalogue:end -->/p' "$readme" | sed '1d;$d')
if [[ "$expected" != "$actual" ]]; then
  echo "FAIL: README.md's metric table differs from fm-audit --list-metrics markdown; regenerate it:"
  diff <(echo "$expected") <(echo "$actual") | head -20
  exit 1
fi
echo "ok: README metric table matches the catalogue"
