#!/usr/bin/env bash
# Checks that the runtime stage of deploy/docker/Dockerfile installs exactly the Debian
# packages that provide the shared libraries kaudit loads: every library `ldd` resolves for
# the built binary (direct and indirect, the dynamic loader included) is mapped to its package
# with `dpkg -S`; the Dockerfile's list (between the "runtime-libraries begin/end" markers)
# must equal that set, nothing missing, nothing extra. No container engine is needed.
# Usage: check-docker-libs.sh [--print] KAUDIT_BINARY [DOCKERFILE]
#   --print: only print the package set ldd implies, one per line (to paste into the list).
set -euo pipefail
print=0
if [ "${1:-}" = "--print" ]; then print=1; shift; fi
bin=${1:?usage: check-docker-libs.sh [--print] KAUDIT_BINARY [DOCKERFILE]}
dockerfile=${2:-$(dirname "$0")/../deploy/docker/Dockerfile}

ldd_out=$(ldd "$bin") || { echo "ldd $bin failed"; exit 1; }
if grep -q "not found" <<<"$ldd_out"; then
  echo "ldd: unresolved libraries:"; grep "not found" <<<"$ldd_out"; exit 1
fi
libs=$(awk '/=> \// {print $3} /^[[:space:]]*\// {print $1}' <<<"$ldd_out" | sort -u)
[ -n "$libs" ] || { echo "ldd listed no libraries for $bin"; exit 1; }

# Each library's candidate paths: as ldd printed it, the file it resolves to, and the other
# side of the /usr merge (/lib <-> /usr/lib). One dpkg -S call maps them all (it reads the
# whole package database, so one call per path would take minutes on a busy machine).
declare -A candidates
all_paths=()
for lib in $libs; do
  list=("$lib" "$(readlink -f "$lib")")
  for p in "${list[@]}"; do
    case "$p" in
      /usr/lib/*) list+=("${p#/usr}") ;;
      /lib/* | /lib64/*) list+=("/usr$p") ;;
    esac
  done
  candidates[$lib]="${list[*]}"
  all_paths+=("${list[@]}")
done
# "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1" (several packages comma-separated)
declare -A owner
while IFS= read -r line; do
  path=${line##*: }
  owner[$path]=$(sed -E 's/: \/.*$//; s/:[a-z0-9_]+(,|$)/\1/g; s/, /,/g' <<<"$line")
done < <(dpkg -S "${all_paths[@]}" 2>/dev/null || true)

needed=""
for lib in $libs; do
  pkg=""
  for p in ${candidates[$lib]}; do
    if [ -n "${owner[$p]:-}" ]; then pkg=${owner[$p]}; break; fi
  done
  if [ -z "$pkg" ]; then
    echo "FAIL: $lib (needed by $bin) belongs to no Debian package"; exit 1
  fi
  needed+="${pkg//,/$'\n'}"$'\n'
done
needed=$(sort -u <<<"$needed" | sed '/^$/d')

if [ "$print" -eq 1 ]; then echo "$needed"; exit 0; fi

listed=$(sed -n '/runtime-libraries begin/,/runtime-libraries end/p' "$dockerfile" |
  sed -nE 's/^[[:space:]]+([a-z0-9][a-z0-9+.-]+)[[:space:]]*\\?$/\1/p' | sort -u)
[ -n "$listed" ] || { echo "FAIL: no runtime-libraries list in $dockerfile"; exit 1; }

missing=$(comm -23 <(echo "$needed") <(echo "$listed"))
extra=$(comm -13 <(echo "$needed") <(echo "$listed"))
echo "$(wc -l <<<"$libs") libraries from $(wc -l <<<"$needed") packages; $dockerfile lists" \
  "$(wc -l <<<"$listed")"
if [ -n "$missing" ] || [ -n "$extra" ]; then
  [ -z "$missing" ] || echo "MISSING from the Dockerfile:" $missing
  [ -z "$extra" ] || echo "EXTRA in the Dockerfile (no library of kaudit's comes from them):" $extra
  echo "FAIL: the list must be exactly: $(tr '\n' ' ' <<<"$needed")"
  echo "(scripts/check-docker-libs.sh --print $bin prints it)"
  exit 1
fi
echo "OK: the runtime stage installs exactly the packages of kaudit's libraries"
