#!/usr/bin/env bash
# loadtest.sh: the EdgeSteer load test on tools/testbed.sh's namespaces.
# Runs every scenario of issue 11 (the fast path alone on net_pcap, the most
# the generator offers, the sustained rate, REQ->DECISION latency at 10 % of
# it, per-device rate accuracy; a table push every second in the throughput
# scenarios), accounts for every frame with the counters of each stage, and
# writes loadtest.json and PNG plots. Everything it made is removed on exit,
# on failure and on Ctrl-C. The scenarios are in tools/loadtest.py.
set -euo pipefail

usage() {
	cat <<'TXT'
NAME
    loadtest.sh - the EdgeSteer load test: throughput, loss accounting,
    latency and rate accuracy on the namespace test bed

SYNOPSIS
    tools/loadtest.sh BUILD_DIR [--quick] [--out DIR] [--seconds S]
                      [--devices N] [--frames N] [--offered-pps PPS]
    ./edgesteer.sh loadtest [same options]

DESCRIPTION
    Builds the test bed of tools/testbed.sh (PREFIX l<pid>-), runs
    edgesteerd with the XDP program on ap0 and edgesteer-dp on
    net_af_packet (ap0, ap1, ap2) as tools/demo.sh does, es-server on
    edge0 and cloud0, and runs these scenarios, in order:

    fastpath_alone  edgesteer-dp alone, frames from net_pcap into
                    net_null: the rate with infinite_rx, then a finite
                    replay (through a FIFO, once the table is in force)
                    whose every frame the fast path's counters account for
    max_offered     trafgen at top speed (1 Mpps asked) from dev0: the
                    es-pcapgen mix of 10,000 devices (10 % OFFLOAD_REQ,
                    2 % malformed, 3 % ordinary, 85 % TENSOR, device 1
                    over its 8 kbit/s rate), a table push every second
    sweep ...       tcpreplay paced below what max_offered got through,
                    lowered until nothing is lost before our code (the
                    veth and the fast path's AF_PACKET ring)
    sustained       that rate for S seconds, a table push every second
    latency         10 % of the sustained rate: es-devsim (50 devices,
                    5 tasks/s) measures REQ->DECISION, tcpreplay the rest
    rate            four devices with table rates 400, 800, 1600 and
                    6400 kbit/s, each offered ~4.3 Mbit/s of TENSORs: the
                    XDP meter's accepted rate against the table's

    For each scenario every frame that entered the AP is accounted for:
      in = veth dropped + XDP dropped by reason + XDP passed (ordinary)
         + ring dropped + fast path dropped by reason
         + fast path answered (DECISIONs) + fast path forwarded
         + unaccounted
    "in" is dev0's TX counter (the generator's own count is beside it);
    "unaccounted" must be 0, and each "checks" entry (two independent
    counters of one stage) too. docs/loadtest.md explains every figure.

OPTIONS
    --quick          short run for the e2e test (about a minute in all):
                     2 s scenarios, 2,000 devices, a 3,000-frame pcap, no sweep
    --out DIR        results (default BUILD_DIR/loadtest): loadtest.json,
                     throughput.png, latency.png, rate.png
    --seconds S      seconds a scenario (default 10; quick 3)
    --devices N      devices in the mix and the table (default 10000)
    --frames N       frames in the pcap (default 20000)
    --offered-pps P  the offered load asked for (default 1000000)
    -h, --help       this text

OUTPUT
    A progress line a second (rewritten in place on a terminal), a line
    per scenario, then a summary table. Exit status: 0 when every
    scenario accounts for every frame, 1 when one does not or a step
    fails, 2 on a usage error, 130 after Ctrl-C.

REQUIREMENTS
    root, bpffs, nsenter, trafgen (netsniff-ng), tcpreplay, bpftool,
    gnuplot; the build's edgesteerd, edgesteerctl, edgesteer-dp,
    es-devsim, es-server, es-pcapgen and es-loadtest-sockstat.
TXT
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
B=$(cd "$1" && pwd) || { echo "error: loadtest: no build directory $1" >&2; exit 2; }
shift
quick=0 out=$B/loadtest seconds="" devices="" frames="" offered=1000000
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift; continue ;;
	-h|--help) usage; exit 0 ;;
	--out|--seconds|--devices|--frames|--offered-pps) ;;
	*) echo "error: loadtest: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	[ $# -ge 2 ] || { echo "error: loadtest: $1 needs a value" >&2; exit 2; }
	case "$1" in
	--out) out=$2 ;;
	--seconds) seconds=$2 ;;
	--devices) devices=$2 ;;
	--frames) frames=$2 ;;
	--offered-pps) offered=$2 ;;
	esac
	shift 2
done
if [ $quick = 1 ]; then
	seconds=${seconds:-2} devices=${devices:-2000} frames=${frames:-3000}
else
	seconds=${seconds:-10} devices=${devices:-10000} frames=${frames:-20000}
fi
for v in seconds:$seconds:2:600 devices:$devices:10:16000 frames:$frames:1000:1000000 \
	offered-pps:$offered:1000:100000000; do
	IFS=: read -r name val lo hi <<<"$v"
	[[ "$val" =~ ^[0-9]+$ ]] && [ "$val" -ge "$lo" ] && [ "$val" -le "$hi" ] ||
		{ echo "error: loadtest: --$name '$val' is not a whole number in $lo..$hi" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "error: loadtest: needs root (namespaces, XDP)" >&2; exit 1; }
for c in nsenter trafgen tcpreplay bpftool gnuplot ethtool python3; do
	command -v $c >/dev/null || { echo "error: loadtest: $c is missing (./edgesteer.sh setup)" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || { echo "error: loadtest: bpffs is not mounted on /sys/fs/bpf" >&2; exit 1; }
for b in control/daemon/edgesteerd control/edgesteerctl dataplane/edgesteer-dp tools/es-devsim \
	tools/es-server tools/es-pcapgen tools/es-loadtest-sockstat; do
	[ -x "$B/$b" ] || { echo "error: loadtest: $B/$b is not built" >&2; exit 1; }
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

P=l$(($$ % 10000))-
pins=/sys/fs/bpf/es-load-$$
work=$(mktemp -d /tmp/es-load.XXXXXX)
mkdir -p "$out"
py=
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	# a reader that went away (a pipe to less, head) must not stop the clean-up
	trap '' PIPE
	# loadtest.py stops its own processes; these are the leftovers of a kill
	[ -n "$py" ] && kill "$py" 2>/dev/null && wait "$py" 2>/dev/null
	if [ -f "$work/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$work/pids"
		sleep 0.3
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$work/pids"
	fi
	"$here/testbed.sh" down "$P" || true
	rm -rf "$pins" "/var/run/dpdk/${P}dp" "/var/run/dpdk/${P}fp"
	[ $rc = 0 ] || { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; } >&2
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'echo >&2; echo "loadtest: interrupted, cleaning up" >&2; exit 130' INT TERM

python3 "$here/loadtest.py" --build "$B" --testbed "$here/testbed.sh" --prefix "$P" \
	--pins "$pins" --work "$work" --out "$out" --seconds "$seconds" --devices "$devices" \
	--frames "$frames" --offered-pps "$offered" $([ $quick = 1 ] && echo --quick) &
py=$!
rc=0
wait $py || rc=$?
py=
[ $rc = 0 ] && echo "loadtest: results in $out (loadtest.json, throughput.png, latency.png, rate.png)"
exit $rc
