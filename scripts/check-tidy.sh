#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy) over the compile database of a build
# directory, and looks for the self-capturing lambda clang-tidy cannot see. Exits 1 naming
# every finding, 0 when there is none. Usage: scripts/check-tidy.sh [build-dir]
#
# Which files: by default the .cc files changed against the merge base with
# NOTESD_TIDY_BASE (default origin/main, else main), committed or not, and for a changed
# header the .cc file of the same name; on the base itself (a CI run of main), the files
# the last commit changed. NOTESD_TIDY_ALL=1 takes every file of the compile database:
# about 17 s of CPU per file, 137 files: some 20 minutes at -j2, too long for every CI run.
# NOTESD_JOBS (default 2) clang-tidy processes run at once. CLANG_TIDY names the binary
# (default clang-tidy-14, then clang-tidy).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check-tidy: $build/compile_commands.json is missing: build first (scripts/build.sh $build)" >&2
  exit 2
fi
tidy=${CLANG_TIDY:-}
if [ -z "$tidy" ]; then tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true); fi
if [ -z "$tidy" ]; then
  echo "check-tidy: clang-tidy not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

status=0

# 1. The signal handler's old bug: `handler = [..., handler](...) { ... }` copies (or
# references) the variable it is being assigned to, so the lambda holds an empty or
# dangling copy of itself. No clang-tidy 14 check finds it.
if self_capture=$(git grep -n -E '(^|[^.>[:alnum:]_])([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\[[^]]*[&, ]\2\b[^]]*\]' -- '*.cc' '*.h'); then
  echo "$self_capture" | sed 's/$/: a lambda capturing the variable it is assigned to (re-arm through a member instead)/'
  status=1
fi

# 2. clang-tidy over the chosen files (only those the compile database knows).
mapfile -t known < <(python3 -c '
import json, sys
for entry in json.load(open(sys.argv[1])):
    print(entry["file"])' "$build/compile_commands.json" | sort -u)
if [ "${NOTESD_TIDY_ALL:-0}" = 1 ]; then
  files=("${known[@]}")
else
  base=${NOTESD_TIDY_BASE:-}
  if [ -z "$base" ]; then
    if git rev-parse -q --verify origin/main >/dev/null; then base=origin/main; else base=main; fi
  fi
  merge_base=$(git merge-base "$base" HEAD)
  if [ "$merge_base" = "$(git rev-parse HEAD)" ]; then merge_base=$(git rev-parse -q --verify HEAD~1 || echo "$merge_base"); fi
  mapfile -t changed < <({ git diff --name-only "$merge_base" -- '*.cc' '*.h'; git ls-files --others --exclude-standard -- '*.cc' '*.h'; } | sort -u)
  files=()
  for file in "${changed[@]}"; do
    candidate="$root/${file%.h}"
    candidate="${candidate%.cc}.cc"
    for one in "${known[@]}"; do
      if [ "$one" = "$candidate" ]; then files+=("$one"); break; fi
    done
  done
  echo "check-tidy: ${#files[@]} file(s) changed against $base (merge base ${merge_base:0:12})"
fi

if [ ${#files[@]} -gt 0 ]; then
  # Findings go to a file per source, shown together at the end so parallel runs do not mix.
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  printf '%s\0' "${files[@]}" | xargs -0 -P "${NOTESD_JOBS:-2}" -I{} sh -c \
    '"$1" -p "$2" --quiet --warnings-as-errors="*" "$3" > "$4/$(echo "$3" | tr / _).log" 2>&1' \
    sh "$tidy" "$build" {} "$out" || status=1
  for log in "$out"/*.log; do
    if grep -q -E '(warning|error):' "$log"; then grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$log"; fi
  done
fi

if [ "$status" -ne 0 ]; then
  echo "check-tidy: findings above; fix them, or silence a false positive with // NOLINT(check): reason" >&2
else
  echo "check-tidy: no findings"
fi
exit "$status"
