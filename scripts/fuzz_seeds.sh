#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from tests/data and configs (nothing committed:
# the corpora live in the fuzz build dir). Usage: scripts/fuzz_seeds.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$1"
mkdir -p "$out"/{framing,detectors,pod_spec,config,exec_command,webhook,csr}
n=0
# Whole event files (small ones) for framing and the detectors.
while IFS= read -r -d '' f; do
  [ "$(stat -c %s "$f")" -le 65536 ] || continue
  n=$((n + 1))
  cp "$f" "$out/framing/seed_$n"
  cp "$f" "$out/detectors/seed_$n"
  # webhook: a first byte choosing the headers (0: right token, plain body), then the body.
  { printf '\0'; cat "$f"; } > "$out/webhook/seed_$n"
done < <(find "$root/tests/data/falco" "$root/tests/data/detectors" "$root/tests/data/public" \
  -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.log' \) -print0)
# Crash inputs already found stay in the corpora.
for t in framing detectors pod_spec config exec_command webhook csr; do
  if [ -d "$root/tests/data/regress/$t" ]; then
    cp "$root/tests/data/regress/$t"/* "$out/$t/" 2>/dev/null || true
  fi
done
# Objects (request/response) for the pod-spec and object parsers; request URIs for exec.
i=0
find "$root/tests/data/falco" "$root/tests/data/detectors" -type f -name '*.json' -print0 |
  xargs -0 cat | jq -c '(.items[]? // .) | .requestObject // empty, .responseObject // empty' \
    2>/dev/null | sort -u | while IFS= read -r line; do
  i=$((i + 1))
  printf '%s' "$line" > "$out/pod_spec/obj_$i"
done
i=0
find "$root/tests/data/falco" "$root/tests/data/detectors" -type f -name '*.json' -print0 |
  xargs -0 cat | jq -r '(.items[]? // .) | .requestURI // empty' 2>/dev/null | sort -u |
  while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "$out/exec_command/uri_$i"
  done
# CSRs of the detector fixtures: spec.request as is (first byte 0) and as DER (first byte 1).
i=0
find "$root/tests/data/detectors" -type f -name '*.jsonl' -print0 | xargs -0 cat |
  jq -r '.requestObject.spec.request? // .responseObject.spec.request? // empty' 2>/dev/null |
  sort -u | while IFS= read -r req; do
    i=$((i + 1))
    { printf '\0'; printf '%s' "$req"; } > "$out/csr/request_$i"
    { printf '\1'; printf '%s' "$req" | base64 -d | openssl req -outform DER 2>/dev/null; } \
      > "$out/csr/der_$i"
  done
cp "$root/configs/kaudit.yaml" "$out/config/kaudit.yaml"
find "$root/configs" "$root/deploy" -type f \( -name '*.yaml' -o -name '*.yml' \) -size -64k \
  -print0 | while IFS= read -r -d '' f; do cp "$f" "$out/config/$(basename "$f")"; done
# gzip-encoded bodies (first byte 12: right token, Content-Encoding gzip).
for f in $(ls "$out/webhook" | head -n 20); do
  { printf '\x0c'; tail -c +2 "$out/webhook/$f" | gzip -c; } > "$out/webhook/gz_$f"
done
for t in framing detectors pod_spec config exec_command webhook csr; do
  echo "seeds $t: $(ls "$out/$t" | wc -l)"
done
