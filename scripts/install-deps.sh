#!/usr/bin/env bash
# Installs every Debian 12 package kaudit needs to build, test and benchmark, if missing.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries (see README "Dependencies")
  libsimdjson-dev librdkafka-dev libre2-dev libabsl-dev prometheus-cpp-dev
  libcpp-httplib-dev libssl-dev libyaml-cpp-dev libcli11-dev libspdlog-dev zlib1g-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev kcat curl jq python3 gzip
)
# Deployment checks (tests/deploy): `kubectl kustomize`, PyYAML for the manifest wrapper,
# systemd-analyze.
PACKAGES+=(kubernetes-client python3-yaml systemd)

# --build-only: what building the kaudit target needs (deploy/docker's build stage): no test
# tools (CMake's configure step still wants the test and benchmark frameworks).
if [ "${1:-}" = "--build-only" ]; then
  build_only=()
  for p in "${PACKAGES[@]}"; do
    case "$p" in
      kcat | curl | jq | python3 | gzip | kubernetes-client | python3-yaml | systemd) ;;
      *) build_only+=("$p") ;;
    esac
  done
  PACKAGES=("${build_only[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # Any kubectl will do; another package's kubectl (e.g. Google Cloud's) conflicts with it.
  if [ "$p" = kubernetes-client ] && command -v kubectl >/dev/null 2>&1; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages and not root (no sudo): ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
