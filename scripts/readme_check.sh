#!/usr/bin/env bash
# readme_check.sh: run the README's ```sh command blocks, in the order
# written, in a fresh temporary directory, shrunk to seconds by the
# substitution table below, and fail on the first command that fails.
#
# usage: scripts/readme_check.sh [--keep-going] [--list] [README.md]
#
#   --keep-going  run every command and list all the failures at the end
#   --list        print the commands as they would run (after the
#                 substitutions) and exit
#
# The binary: $AUTODIDACT if set, else one built from this checkout with
# `go build` into the temporary directory; it is on PATH as `autodidact`.
# Lines that are comments are dropped, and so are trailing "  # ..."
# comments. Every command runs with bash -o pipefail in the temporary
# directory, which is removed at the end (kept with KEEP=1).
set -euo pipefail

keep_going=0
list=0
readme=""
for a in "$@"; do
  case "$a" in
    --keep-going) keep_going=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) readme="$a" ;;
  esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
readme="${readme:-$repo/README.md}"

# The substitution table: extended regular expressions (sed -E) applied in
# order to every command (every match), the replacement after the tab.
# They shrink long work (smoke runs, one bench step, 2048 control steps),
# point placeholders (runs/<dir>, runs/<timestamp>-<recipe>) at the newest
# run made so far, drop show's --step (a smoke run has fewer steps), and
# leave everything else as the README wrote it, so that what fails here
# fails for a reader too.
subs=$(cat <<'EOF'
^go run \./cmd/autodidact 	autodidact 
^go test \./\.\.\.$	SKIP (the tests are CI's job)
^go install github\.com/autodidact-rl/autodidact/cmd/autodidact@latest$	SKIP (the binary built from this checkout is on PATH)
^(autodidact run( [a-z_]+)?( --set [^ ]+| --seed [0-9]+)*)$	\1 --smoke
^autodidact steer .*$	SKIP (steering needs a trained single-turn run whose right answers differ in length; TestSteerCommand trains one)
^autodidact internal-rl .*$	SKIP (needs a gridwalk run pretrained on expert walks; scripts/analysis_3_internal_rl.sh makes them)
runs/[0-9]{8}-[0-9]{6}-([a-z_]+)	$(latest_run \1)
runs/<dir>	$(latest_run)
(autodidact show .*) --step [0-9]+	\1
^(autodidact compare .*)$	\1 --smoke --seeds 1
autodidact bench (train|sample)	autodidact bench \1 --steps 1
^(autodidact control train .*)$	\1 --steps 2048 --eval-episodes 2
(autodidact control eval .*)--episodes [0-9]+	\1--episodes 2
^(autodidact control dataset .*)$	\1 --steps 500
^autodidact dash 	serve_briefly autodidact dash 
--tokenizer tokenizer\.json	--tokenizer $(tiny_tokenizer)
EOF
)

# Commands of the ```sh blocks, one per line, comments dropped.
extract() {
  awk '/^```sh[[:space:]]*$/ {on=1; next} /^```/ {on=0} on' "$1" |
    sed -E 's/[[:space:]]+#[[:space:]].*$//; /^[[:space:]]*#/d; /^[[:space:]]*$/d; s/[[:space:]]+$//'
}

shrink() {
  local line="$1" from to
  while IFS=$'\t' read -r from to; do
    [ -z "$from" ] && continue
    line=$(printf '%s\n' "$line" | sed -E "s#${from//#/\\#}#${to//#/\\#}#g")
  done <<< "$subs"
  printf '%s\n' "$line"
}

mapfile -t cmds < <(extract "$readme")
if [ "${#cmds[@]}" -eq 0 ]; then
  echo "readme_check: no \`\`\`sh blocks in $readme" >&2
  exit 1
fi
if [ "$list" = 1 ]; then
  for c in "${cmds[@]}"; do shrink "$c"; done
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/readme-check.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "readme_check: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
mkdir -p "$work/bin"
if [ -n "${AUTODIDACT:-}" ]; then
  ln -s "$(cd "$(dirname "$AUTODIDACT")" && pwd)/$(basename "$AUTODIDACT")" "$work/bin/autodidact"
else
  (cd "$repo" && CGO_ENABLED=0 go build -o "$work/bin/autodidact" ./cmd/autodidact)
fi

# Helpers the substituted commands call.
cat > "$work/helpers.sh" <<'EOF'
# latest_run [RECIPE]: the newest run directory (of RECIPE) under runs/.
latest_run() {
  local d
  d=$(ls -1dt runs/*${1:+-$1} 2>/dev/null | head -n 1)
  printf '%s\n' "${d:-runs/NO-RUN-YET${1:+-$1}}"
}
# tiny_tokenizer: a small byte-level BPE tokenizer.json (the README's
# example names a model's file, which a checkout does not have).
tiny_tokenizer() {
  cat > tiny-tokenizer.json <<'JSON'
{"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
 "post_processor": null, "decoder": {"type": "Fuse"},
 "model": {"type": "BPE", "dropout": null, "unk_token": "?", "continuing_subword_prefix": null, "end_of_word_suffix": null,
   "fuse_unk": false, "byte_fallback": false, "vocab": {"?": 0, "H": 1, "e": 2, "l": 3, "o": 4, "w": 5, "r": 6, "d": 7, "ll": 8}, "merges": ["l l"]}}
JSON
  printf '%s\n' tiny-tokenizer.json
}
# serve_briefly CMD...: a server runs for 3 seconds; still serving then
# is success.
serve_briefly() {
  local rc=0
  timeout 3 "$@" || rc=$?
  [ "$rc" = 124 ] && return 0
  return "$rc"
}
EOF

failed=()
n=0
cd "$work"
for c in "${cmds[@]}"; do
  n=$((n + 1))
  run=$(shrink "$c")
  if [[ "$run" == SKIP* ]]; then
    printf '\n[%d] %s\n    %s\n' "$n" "$c" "$run"
    continue
  fi
  printf '\n[%d] %s\n    $ %s\n' "$n" "$c" "$run"
  rc=0
  PATH="$work/bin:$PATH" bash -o pipefail -c "source '$work/helpers.sh'; $run" > "$work/out.txt" 2>&1 || rc=$?
  sed -e 's/^/    | /' "$work/out.txt" | tail -n 15
  if [ "$rc" != 0 ]; then
    printf '    FAILED (exit %d)\n' "$rc"
    failed+=("[$n] $c (exit $rc)")
    [ "$keep_going" = 1 ] || { echo; echo "readme_check: README command $n failed: $c" >&2; exit 1; }
  fi
done
echo
if [ "${#failed[@]}" -gt 0 ]; then
  echo "readme_check: ${#failed[@]} of $n README commands failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "readme_check: all $n README commands passed"
