#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SECONDS SEED... : runs a libFuzzer target for SECONDS
# from a copy of its seeds (files or folders; libFuzzer writes into its
# first corpus folder) and keeps any crash under tests/fuzz/crashes/.
# Extra libFuzzer flags may come in FUZZ_FLAGS (e.g. -max_len=16384); with
# FUZZ_KEEP=DIR the grown corpus is kept in DIR for the next run.
set -euo pipefail
fuzzer=$1 seconds=$2
shift 2
if [ -n "${FUZZ_KEEP:-}" ]; then
	work=$FUZZ_KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
for s in "$@"; do
	if [ -d "$s" ]; then
		cp -r "$s"/. "$work/"
	else
		cp "$s" "$work/"
	fi
done
crashes=$(dirname "$0")/crashes
mkdir -p "$crashes"
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
	-artifact_prefix="$crashes/$(basename "$fuzzer")-" ${FUZZ_FLAGS:-} "$work"
