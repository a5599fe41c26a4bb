#!/usr/bin/env bash
# Wall time, CPU time and peak memory of recipes run end to end at their
# default settings (the "<= 10 minutes on 2 cores" bar of issues 12-14), one
# after another, with /usr/bin/time. Run it on an otherwise idle machine:
# the wall times are only meaningful then (the load average before and
# after each run is printed beside it).
#
# Usage: [RUN_FLAGS="--set threads=1"] scripts/recipe_times.sh OUTDIR RECIPE...
#   e.g. scripts/recipe_times.sh runs/times score int cleaner agent_r reseek salt rest_mcts
# With RUN_FLAGS="--set threads=1" each run uses one core: a run that takes
# T seconds on one core (another job on the other) takes at most about T on
# two idle cores, so the 10-minute bar can be checked on a busy machine.
set -euo pipefail
out=${1:?usage: scripts/recipe_times.sh OUTDIR RECIPE...}
shift
go build -o /tmp/autodidact-times ./cmd/autodidact
mkdir -p "$out"
table="$out/times.md"
[ -f "$table" ] || printf '| recipe | wall s | user CPU s | sys CPU s | peak RSS MiB | load before | load after | final pass@1 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' > "$table"
for r in "$@"; do
  name=$(basename "$r" .yaml)
  if grep -q "^| $name |" "$table"; then echo "$name: already timed"; continue; fi
  rm -rf "$out/$name"
  before=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e %U %S %M' -o "$out/$name.time" /tmp/autodidact-times run "$r" --out "$out/$name" ${RUN_FLAGS:-} > "$out/$name.log" 2>&1
  after=$(cut -d' ' -f1 /proc/loadavg)
  read -r wall user sys rss < "$out/$name.time"
  p1=$(python3 -c "import json,sys; s=json.load(open('$out/$name/summary.json')); print('%.3f' % s['final_pass@1'])" 2>/dev/null || echo "-")
  printf '| %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n' "$name" "$wall" "$user" "$sys" "$((rss / 1024))" "$before" "$after" "$p1" >> "$table"
  tail -1 "$table"
done
echo "table: $table"
