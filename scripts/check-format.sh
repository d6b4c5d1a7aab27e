#!/usr/bin/env bash
# Checks that every C++ file of the repository (`git ls-files '*.cc' '*.h'`) is formatted
# as .clang-format says. Usage: scripts/check-format.sh [--fix]
#   (no option)  prints each file that differs and exits 1 if there is any; changes nothing.
#   --fix        rewrites those files in place (clang-format -i) and exits 0.
# CLANG_FORMAT names the binary (default clang-format-14, then clang-format): the output
# of clang-format changes between major versions, so CI and developers use the same one.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
case "${1:-}" in
  "") ;;
  --fix) fix=1 ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

format=${CLANG_FORMAT:-}
if [ -z "$format" ]; then
  format=$(command -v clang-format-14 || command -v clang-format || true)
fi
if [ -z "$format" ]; then
  echo "check-format: clang-format not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "$fix" = 1 ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 20 -P "${NOTESD_JOBS:-2}" "$format" -i --style=file
  exit 0
fi

# --dry-run prints one warning per change; only whether a file has any matters here.
differ=()
for file in "${files[@]}"; do
  if ! "$format" --dry-run --Werror --style=file "$file" >/dev/null 2>&1; then differ+=("$file"); fi
done
if [ ${#differ[@]} -gt 0 ]; then
  printf '%s\n' "${differ[@]}" | sed 's/^/not formatted: /'
  echo "check-format: ${#differ[@]} file(s) differ from .clang-format; scripts/check-format.sh --fix rewrites them" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
