#!/usr/bin/env bash
# Renders every overlay of deploy/kubernetes with `kubectl kustomize` (kubectl from PATH, or
# $KUBECTL) into OUTDIR/<overlay>.yaml; fails if one does not render or renders nothing.
# Current kubectl warns that `bases`, `commonLabels` and `patchesStrategicMerge` are
# deprecated: the kustomizations keep them so that kubectl 1.20 (Debian 12's
# kubernetes-client, kustomize v2.0.3) renders them too.
# Usage: render_overlays.sh OUTDIR
set -euo pipefail
out=${1:?usage: render_overlays.sh OUTDIR}
kubectl=${KUBECTL:-kubectl}
root=$(cd "$(dirname "$0")/../.." && pwd)/deploy/kubernetes
command -v "$kubectl" >/dev/null || { echo "kubectl missing (Debian: kubernetes-client)"; exit 1; }
echo "$("$kubectl" version --client 2>/dev/null | head -1)"
rm -rf "$out" && mkdir -p "$out"
overlays=("$root"/overlays/*/)
[ ${#overlays[@]} -gt 0 ] || { echo "no overlays under $root/overlays"; exit 1; }
for dir in "${overlays[@]}"; do
  name=$(basename "$dir")
  if ! "$kubectl" kustomize "$dir" >"$out/$name.yaml" 2>"$out/$name.stderr"; then
    echo "FAIL: kubectl kustomize $dir"; cat "$out/$name.stderr"; exit 1
  fi
  if grep -v '^# Warning: .* is deprecated' "$out/$name.stderr" | grep -q .; then
    echo "FAIL: kubectl kustomize $dir printed:"; cat "$out/$name.stderr"; exit 1
  fi
  kinds=$(grep -E '^kind: ' "$out/$name.yaml" | sed 's/kind: //' | sort | uniq -c |
    awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
  [ -n "$kinds" ] || { echo "FAIL: $dir rendered nothing"; exit 1; }
  echo "$name: $kinds"
done
