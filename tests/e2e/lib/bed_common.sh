# Sourced, as `. bed_common.sh NAME`, by the e2e tests that start the
# namespace bed's processes themselves (online_bed.sh, test_ddlro_drift.sh):
# one run's work dir and pin dir (unique by $$), the list of processes it
# started ($pids), the trap that stops them and removes the bed (also on
# Ctrl-C or meson's timeout), fail() with the logs, and two shorthands.
# The caller has set P (tools/testbed.sh's prefix), testbed and ctl.
work=$(mktemp -d "/tmp/es-$1.XXXXXX")
pins=/sys/fs/bpf/es-$1-$$
pids=()
bed_cleanup() {
	# TERM first so that edgesteerd detaches its program; then no mercy
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	"$testbed" down "$P" || true
	rm -rf "$pins" "$work" "/var/run/dpdk/${P}dp"
}
trap bed_cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
	exit 1
}
# for background processes: no function (a subshell) between $! and the process
NS() { echo "nsenter --net=/var/run/netns/${P}$1"; }
C() { "$ctl" --socket "$work/ctl.sock" "$@"; }
