#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (build/fuzz: ASan + UBSan + libFuzzer) and runs each for
# SECONDS (60 by default), as many at once as there are cores, starting from its seed corpus. An input that
# crashes a target is saved as build/fuzz/crashes/<target>/crash-… and fails the run; copy it into
# fuzz/regressions/<target>/ with the fix, and it becomes a regression test of every build.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(fuzz_json fuzz_json_schema fuzz_http_request fuzz_profile_render fuzz_network_policy)
[ $# -gt 0 ] && targets=("$@") || targets=("${all[@]}")

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (bash scripts/setup.sh installs it)" >&2; exit 1; }
dir=build/fuzz
# -O1 with line tables: what libFuzzer's documentation suggests, and quicker to build than -O2 -g.
[ -f "$dir/build.ninja" ] || CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DBILLHOOK_FUZZ=ON >/dev/null
echo "fuzz: building ${targets[*]} in $dir"
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"

run_one() {
  local target=$1 work=$dir/work/$1 crashes=$dir/crashes/$1
  rm -rf "$work" "$dir/$target.failed" && mkdir -p "$work" "$crashes"
  # The seeds are copied: what the fuzzer adds stays out of the repository.
  cp fuzz/corpus/"$target"/* "$work"/
  if "$dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$work" fuzz/regressions/"$target" \
       > "$dir/$target.log" 2>&1; then
    echo "fuzz: $target ran ${seconds}s: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$target.log" | grep -o '[0-9]*$') inputs, no crash"
  else
    echo "fuzz: $target FAILED; the input is in $crashes/, the report in $dir/$target.log:" >&2
    grep -m1 -A12 "ERROR:\|runtime error\|==ERROR\|deadly signal\|timeout" "$dir/$target.log" >&2 || tail -30 "$dir/$target.log" >&2
    touch "$dir/$target.failed"
  fi
}

for target in "${targets[@]}"; do
  # At most one fuzzer per core at once.
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done
  run_one "$target" &
done
wait
failed=()
for target in "${targets[@]}"; do [ -e "$dir/$target.failed" ] && failed+=("$target"); done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: ${failed[*]} crashed (see above)" >&2; exit 1; }
echo "fuzz: every target ran ${seconds}s without a crash"
