#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD_DIR (built with -DKAUDIT_FUZZ=ON) for SECONDS each,
# one at a time (-jobs 1: the machine is shared), from seeds made by scripts/fuzz_seeds.sh.
# Crash inputs land in BUILD_DIR/fuzz-artifacts/<target>/; keep each one as a regression
# input in tests/data/regress/<target>/ (tests/unit/fuzz/regress_test.cc replays them).
# Prints per target: executions, cov:, ft:, corpus size. Exit status 1 when a target failed.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS [TARGET...]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" && pwd)"
seconds="$2"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(framing detectors pod_spec config exec_command webhook csr)
bash "$root/scripts/fuzz_seeds.sh" "$build/fuzz-seeds" > /dev/null
status=0
summary="$build/fuzz-summary.txt"
: > "$summary"
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  log="$build/fuzz-$t.log"
  "$build/tests/fuzz/${t}_fuzz" "$corpus" "$build/fuzz-seeds/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" > "$log" 2>&1
  rc=$?
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -ao '[0-9]*$')
  last=$(grep -aE '^#[0-9]+' "$log" | tail -n1)
  cov=$(grep -ao 'cov: [0-9]*' <<<"$last" | grep -ao '[0-9]*$')
  ft=$(grep -ao 'ft: [0-9]*' <<<"$last" | grep -ao '[0-9]*$')
  corp=$(grep -ao 'corp: [0-9]*' <<<"$last" | grep -ao '[0-9]*$')
  line="$t: ${seconds}s execs=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} rc=$rc"
  echo "$line" | tee -a "$summary"
  if [ $rc -ne 0 ]; then
    status=1
    grep -aE 'ERROR|SUMMARY|Test unit written' "$log" | head -n5
  fi
done
exit $status
