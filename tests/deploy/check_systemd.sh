#!/usr/bin/env bash
# CI check of deploy/systemd/kaudit.service:
#  1. `systemd-analyze verify` accepts it without a single warning (an unknown or misspelt key
#     is only a warning, so any output about the unit fails the check). verify also requires
#     ExecStart's binary to exist: the check verifies a copy whose ExecStart names the freshly
#     built kaudit instead of /usr/local/bin/kaudit, nothing else changed.
#  2. `systemd-analyze security --offline` rates its sandboxing at most 2.0 ("OK").
#  3. The check can fail: the same copy with a misspelt key, and with a missing binary, must be
#     rejected.
# Usage: check_systemd.sh KAUDIT_BINARY UNIT_FILE
set -euo pipefail
kaudit=$(realpath "$1")
unit=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (Debian: systemd)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verify_clean DIR: verify DIR/kaudit.service; fails on a non-zero exit or any line about it.
verify_clean() {
  local out rc=0
  out=$(systemd-analyze verify "$1/kaudit.service" 2>&1) || rc=$?
  out=$(grep -E "kaudit\.service|$1" <<<"$out" || true)
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    echo "systemd-analyze verify (exit $rc): ${out:-no message}"
    return 1
  fi
}

mkdir "$tmp/ok" "$tmp/typo" "$tmp/nobin"
grep -q '^ExecStart=/usr/local/bin/kaudit tail ' "$unit" || {
  echo "FAIL: ExecStart is not /usr/local/bin/kaudit tail ..."; exit 1; }
sed "s|^ExecStart=/usr/local/bin/kaudit |ExecStart=$kaudit |" "$unit" >"$tmp/ok/kaudit.service"
if ! verify_clean "$tmp/ok"; then echo "FAIL: $unit"; exit 1; fi
echo "OK: systemd-analyze verify accepts $unit (ExecStart=$kaudit)"

if ! systemd-analyze security --offline=yes --threshold=20 "$tmp/ok/kaudit.service" \
    >"$tmp/security.txt" 2>&1; then
  grep -E "✗|Overall" "$tmp/security.txt" || cat "$tmp/security.txt"
  echo "FAIL: exposure above 2.0"; exit 1
fi
grep "Overall exposure" "$tmp/security.txt"

sed 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$tmp/ok/kaudit.service" \
  >"$tmp/typo/kaudit.service"
sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/kaudit|' "$tmp/ok/kaudit.service" \
  >"$tmp/nobin/kaudit.service"
for bad in typo nobin; do
  if verify_clean "$tmp/$bad" >/dev/null; then
    echo "FAIL: the check accepted a broken unit ($bad)"; exit 1
  fi
done
echo "OK: the check rejects a misspelt key and a missing binary"
