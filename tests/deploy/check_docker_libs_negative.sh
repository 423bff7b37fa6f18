#!/usr/bin/env bash
# The Dockerfile library check must be able to fail: a copy of the Dockerfile missing one
# runtime package and listing one kaudit does not need must be rejected, naming both.
# Usage: check_docker_libs_negative.sh KAUDIT_BINARY DOCKERFILE
set -euo pipefail
bin=$1
dockerfile=$2
check=$(dirname "$0")/../../scripts/check-docker-libs.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
first=$(bash "$check" --print "$bin" | grep -v '^libc6$' | head -1)
sed -E "/runtime-libraries begin/,/runtime-libraries end/{/^[[:space:]]+$first \\\\\$/d}" \
  "$dockerfile" | sed -E 's/^([[:space:]]+)libc6 \\$/\1libc6 \\\n\1libpng16-16 \\/' \
  >"$tmp/Dockerfile"
if out=$(bash "$check" "$bin" "$tmp/Dockerfile"); then
  echo "$out"; echo "FAIL: the check accepted a Dockerfile without $first and with libpng16-16"
  exit 1
fi
echo "$out"
grep -q "MISSING from the Dockerfile: $first" <<<"$out" || { echo "FAIL: $first not named"; exit 1; }
grep -q "EXTRA in the Dockerfile.*libpng16-16" <<<"$out" || { echo "FAIL: libpng16-16 not named"; exit 1; }
echo "OK: the check rejects a missing ($first) and an extra (libpng16-16) package"
