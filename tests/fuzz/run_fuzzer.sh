#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_CORPUS SECONDS: runs a libFuzzer target for a
# while from a copy of its seed corpus (libFuzzer writes into its first
# corpus folder) and keeps any crash under tests/fuzz/crashes/.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work/"
crashes=$(dirname "$0")/crashes
mkdir -p "$crashes"
exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$crashes/$(basename "$fuzzer")-" "$work"
