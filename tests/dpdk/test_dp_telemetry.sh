#!/usr/bin/env bash
# edgesteer-dp as a process: the fixture corpus through net_pcap, a table
# pushed on the control socket (fp_push_world, i.e. fp_client), and the
# counters read with the stock dpdk-telemetry.py: /edgesteer/stats sums the
# lcores' counters, /edgesteer/table and /edgesteer/device,ID answer.
# Usage: test_dp_telemetry.sh EDGESTEER_DP FP_PUSH_WORLD FIXTURES.pcap FIXTURES.tsv
set -euo pipefail
dp=$1 push=$2 pcap=$3 tsv=$4
command -v dpdk-telemetry.py >/dev/null || { echo "skip: no dpdk-telemetry.py"; exit 77; }
prefix=fp_tel_$$
work=$(mktemp -d /tmp/fp_tel.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$work" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

"$dp" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "$prefix" --log-level '*:error' \
	--vdev "net_pcap0,rx_pcap=$pcap,tx_pcap=$work/p0.pcap" \
	--vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1 \
	-- --socket "$work/dp.sock" >"$work/dp.log" 2>&1 &
pid=$!

for _ in $(seq 100); do
	[ -S "$work/dp.sock" ] && [ -S "/var/run/dpdk/$prefix/dpdk_telemetry.v2" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/dp.log"; echo "skip: edgesteer-dp could not start"; pid=; exit 77; }
	sleep 0.1
done
"$push" "$work/dp.sock"

# the corpus is a few hundred frames: read once it has had time to pass
sleep 1
# one dpdk-telemetry.py session for all three commands (it starts slowly)
mapfile -t out < <(printf '%s\n' /edgesteer/stats /edgesteer/table /edgesteer/device,1 |
	dpdk-telemetry.py -f "$prefix" 2>/dev/null | grep '^{' | tail -3)
stats=${out[0]:-'{}'} table=${out[1]:-'{}'} device=${out[2]:-'{}'}
echo "$stats"; echo "$table"; echo "$device"

python3 - "$stats" "$table" "$device" "$tsv" <<'PY'
import json, sys
stats = json.loads(sys.argv[1])["/edgesteer/stats"]
table = json.loads(sys.argv[2])["/edgesteer/table"]
dev = json.loads(sys.argv[3])["/edgesteer/device"]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[4])][1:]
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)
check(stats["rx"] == len(rows), "rx %d != %d frames" % (stats["rx"], len(rows)))
verdicts = sum(v for k, v in stats.items() if k.startswith("verdict_"))
check(verdicts == stats["rx"], "verdict counters sum to %d, rx %d" % (verdicts, stats["rx"]))
for name in ("NOT_ESOP", "MALFORMED"):
    want = sum(1 for r in rows if r[4] == name)
    check(stats["verdict_" + name] == want, "%s %d != tsv %d" % (name, stats["verdict_" + name], want))
drops = sum(v for k, v in stats.items() if k.startswith("drop_"))
check(drops == stats["verdict_MALFORMED"], "drop reasons sum to %d" % drops)
check(table["epoch"] == 1 and table["devices"] == 8 and table["swaps"] == 1, "table %s" % table)
check(dev["in_table"] == 1 and dev["rate_kbps"] == 20000 and dev["burst_bytes"] == 131072,
      "device 1 %s" % dev)
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
kill -INT "$pid"
wait "$pid"
pid=
[ ! -e "$work/dp.sock" ] || { echo "FAIL: control socket left behind"; exit 1; }
echo PASSED
