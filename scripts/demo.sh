#!/usr/bin/env bash
# `make demo`: replays the bundled real audit data through every detector and prints alerts.
set -euo pipefail
BIN=${1:-build/kaudit}
cd "$(dirname "$0")/.."
echo "== kaudit replay: Falco's k8s-audit corpus, real cluster logs (audit2rbac, rbac-tool, AKS)"
echo "== and a secret-enumeration sequence built from a real event (tests/data)"
echo
"$BIN" replay --format text --no-progress \
  tests/data/falco tests/data/public \
  tests/data/detectors/secret_enumeration/fires
