# shellcheck shell=bash
# Sourced by tests/e2e/test_fault_*.sh: tools/testbed.sh's namespaces with
# edgesteer-dp and edgesteerd in the AP namespace, started, killed and
# restarted by the test, and read back while either is down. Every name is
# suffixed by the caller's pid; the trap removes all of it (also on Ctrl-C).
# Sourced with the test's arguments, the same for every fault test:
#   TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER
# it sets the work dir, names and trap (fb_init), or skips (77) without
# root/bpffs. The caller may set fb_name first.
#
#   fb_up                   the bed
#   fb_start_dp / fb_start_daemon [ARGS]   in the AP namespace; pids in
#                           $dp_pid / $daemon_pid; logs in $work/{dp,daemon}.log
#   fb_kill9 VAR            kill -9 the process whose pid is in $VAR
#   C ARGS                  edgesteerctl on the daemon's socket
#   fb_epochs               "table/xdp/dp" epochs as edgesteerd reads them back
#   fb_wait_epochs WANT     ... until they are WANT (a few epochs)
#   fb_xdp_table / fb_dp_epoch   read from the pinned maps / the fast path's
#                           socket directly: work while edgesteerd is down
#   fb_mem                  RSS/hugetlb of both processes and BPF map memory
[ $# -eq 7 ] || { echo "usage: $0 TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER" >&2; exit 2; }
testbed=$1 daemon=$2 ctl=$3 dpbin=$4 pcapgen=$5 devsim=$6 server=$7
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v nsenter >/dev/null && command -v bpftool >/dev/null && mountpoint -q /sys/fs/bpf ||
	{ echo "skip: no nsenter/bpftool/bpffs"; exit 77; }

# the system's python, not a version manager's shim (seconds a call under load)
fb_py=$(command -v /usr/bin/python3 || command -v python3)

fb_init() {
	P=f$(($$ % 10000))-
	work=$(mktemp -d "/tmp/es-${fb_name:-fault}.XXXXXX")
	pins=/sys/fs/bpf/es-fault-$$
	sock=$work/ctl.sock dpsock=$work/dp.sock
	daemon_pid= dp_pid= fb_pids=()
	trap fb_cleanup EXIT
	trap 'exit 130' INT TERM
	fb_q_start
}

fb_cleanup() {
	local p
	for p in $daemon_pid $dp_pid "${fb_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "$(type -t fb_cleanup_more)" = function ] && fb_cleanup_more
	"$testbed" down "$P" >/dev/null 2>&1 || true
	rm -rf "$pins" "/var/run/dpdk/${P}dp"
	rm -rf "$work"
}

fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$work"/*.log; do [ -e "$f" ] && { echo "--- $f" >&2; tail -25 "$f" >&2; }; done
	exit 1
}

fb_up() { "$testbed" up "$P"; }

in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/${P}$ns" "$@"; }
C() { "$ctl" --socket "$sock" "$@"; }

# Started directly (no subshell between $! and the process) so that the pid
# is the program's own.
fb_start_dp() {
	nsenter --net="/var/run/netns/${P}ap" "$dpbin" -l 0-1 --no-pci --no-huge -m 512 \
		--file-prefix "${P}dp" --log-level '*:error' \
		--vdev net_af_packet0,iface=ap0 --vdev net_af_packet1,iface=ap1 \
		--vdev net_af_packet2,iface=ap2 -- --socket "$dpsock" >>"$work/dp.log" 2>&1 &
	dp_pid=$!
	local _
	for _ in $(seq 100); do
		[ -S "$dpsock" ] && [ "$(fb_dp_epoch)" != down ] && return 0
		kill -0 "$dp_pid" 2>/dev/null || fail "edgesteer-dp exited"
		sleep 0.1
	done
	fail "edgesteer-dp did not come up"
}

fb_start_daemon() {
	nsenter --net="/var/run/netns/${P}ap" "$daemon" --socket "$sock" --state-dir \
		"${fb_state:-$work/state}" --xdp-if ap0 --xdp-pin-dir "$pins" --dp-socket "$dpsock" \
		--epoch-ms 50 --max-devices 4096 "$@" 2>>"$work/daemon.log" &
	daemon_pid=$!
	local _
	for _ in $(seq 200); do
		C stats >/dev/null 2>&1 && return 0
		kill -0 "$daemon_pid" 2>/dev/null || { wait "$daemon_pid" || true; return 1; }
		sleep 0.05
	done
	fail "edgesteerd did not come up"
}

fb_kill9() {
	local pid=${!1}
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	printf -v "$1" '%s' ""
}

# Reads back what each part holds, through one python process started
# once (a python start costs a second under this machine's load): a line
# in, one line out. Commands:
#   epochs [devices]  "table/xdp/dp" epochs as edgesteerd reports them
#               (and the number of devices in force)
#   stats       `edgesteerctl stats --json` on one line
#   xdp_table   the XDP program's active table, "epoch/devices", from its
#               pinned maps (works while no daemon runs)
#   xdp_stats   its counters (struct es_xdp_stats summed over CPUs), JSON
#   dp_epoch    the fast path's epoch, asked on its own socket
#               (dataplane/fp_msg.h: FP_MSG_GET_STATS); "down" when it is
#   decisions   DECISIONs the fast path sent, as edgesteerd reads them
#   mono        CLOCK_MONOTONIC in s (es-devsim's timeline clock)
#   mem         RSS and hugetlb kB of both processes, BPF map bytes, JSON
fb_q_start() {
	cat >"$work/q.py" <<'PY'
import json, os, socket, struct, subprocess, sys, time
ctl, sock, dpsock, pins, fpver = sys.argv[1:5] + [int(sys.argv[5])]
def run(*a):
    return subprocess.run(a, check=True, capture_output=True, text=True).stdout
def dump(m):
    return json.loads(run("bpftool", "-j", "map", "dump", "pinned", f"{pins}/{m}"))
def stats():
    return json.loads(run(ctl, "--socket", sock, "stats", "--json"))
def xdp_table():
    active = dump("es_cfg")[0]["formatted"]["value"]["active"] & 1  # ES_XDP_ACTIVE_DEV
    t = [e["formatted"]["value"] for e in dump("es_tables") if e["formatted"]["key"] == active]
    return "%d/%d" % (t[0]["epoch"], t[0]["ndevices"])
def add(a, b):
    return [add(x, y) for x, y in zip(a, b)] if isinstance(a, list) else a + b
def xdp_stats():
    tot = None
    for cpu in dump("es_stats")[0]["formatted"]["values"]:
        v = cpu["value"]
        tot = v if tot is None else {k: add(tot[k], v[k]) for k in v}
    return json.dumps(tot)
def dp_epoch():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    try:
        s.connect(dpsock)
    except OSError:
        return "down"
    s.send(struct.pack("=IHHIi", 0x4d435345, fpver, 2, 0, 0))
    r = s.recv(8192)
    magic, ver, typ, ln, status = struct.unpack_from("=IHHIi", r)
    assert magic == 0x4d435345 and typ == 0x8002 and status == 0, (magic, typ, status)
    return str(struct.unpack_from("=Q", r, 16)[0])
def proc(pid):
    r = {}
    for l in open(f"/proc/{pid}/status"):
        k, _, v = l.partition(":")
        if k in ("VmRSS", "HugetlbPages"):
            r[k] = int(v.split()[0])
    return r
def mem(daemon_pid, dp_pid):
    out = {"edgesteerd": proc(daemon_pid), "edgesteer_dp": proc(dp_pid)}
    ids = {json.loads(run("bpftool", "-j", "map", "show", "pinned", f"{pins}/{m}"))["id"]
           for m in os.listdir(pins) if m != "edgesteer_xdp"}
    maps = json.loads(run("bpftool", "-j", "map", "show"))
    out["bpf_map_bytes"] = sum(m.get("bytes_memlock", 0) for m in maps if m["id"] in ids)
    return json.dumps(out)
for line in sys.stdin:
    cmd, *args = line.split()
    try:
        if cmd == "epochs":
            s = stats()
            out = "%s/%s/%s" % (s["table"]["epoch"], s["xdp"].get("epoch"), s["dp"].get("epoch"))
            out += " %d" % s["table"]["devices"] if args else ""
        elif cmd == "mono":  # CLOCK_MONOTONIC, es-devsim's timeline clock
            out = "%.3f" % time.monotonic()
        elif cmd == "decisions":  # the fast path's, or -1 when it is down
            s = stats()
            out = str(s["dp"]["decisions"] if s["dp"]["up"] else -1)
        elif cmd == "stats":
            out = json.dumps(stats())
        else:
            out = globals()[cmd](*args)
    except Exception as e:  # one line back whatever happens
        out = f"ERR {cmd}: {e!r}".replace("\n", " ")
    print(out, flush=True)
PY
	# the control socket's version, as the fast path was built with it
	local fpver
	fpver=$(sed -n 's/^#define FP_MSG_VERSION[[:space:]]*\([0-9]*\).*/\1/p' \
		"$(dirname "${BASH_SOURCE[0]}")/../../../dataplane/fp_msg.h")
	coproc FBQ { "$fb_py" "$work/q.py" "$ctl" "$sock" "$dpsock" "$pins" "$fpver"; }
	fb_pids+=("$FBQ_PID")
	# plain descriptors: bash closes a coprocess's own in pipelines' subshells
	exec {fbq_w}>&"${FBQ[1]}" {fbq_r}<&"${FBQ[0]}"
}

fb_q() {
	local line
	echo "$*" >&"$fbq_w"
	read -r line <&"$fbq_r" || fail "the read-back helper died"
	[[ "$line" != ERR* ]] || fail "$line"
	echo "$line"
}

fb_epochs() { fb_q epochs; }
fb_xdp_table() { fb_q xdp_table; }
fb_xdp_stats() { fb_q xdp_stats; }
fb_dp_epoch() { fb_q dp_epoch; }
fb_mem() { fb_q mem "$daemon_pid" "$dp_pid"; }

fb_wait_epochs() {
	local _
	for _ in $(seq 60); do [ "$(fb_epochs)" = "$1" ] && return 0; sleep 0.05; done
	fail "epochs (table/xdp/dp) $(fb_epochs), want $1"
}

# The world of the kill tests (callers set pcapgen, server, devsim): 20
# devices, ids 1000..1019, app 3 on edge0 and app 4 on cloud0 (t1.json,
# epoch 1); t2.json, epoch 2, sends app 3 to cloud0 too.
fb_world() {
	"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices 20 --first-id 1000 \
		--over-rate 0 --policy "$work/t1.json" >/dev/null
	sed 's/"epoch": 1/"epoch": 2/; s/"app": 3, "target": "edge0"/"app": 3, "target": "cloud0"/g' \
		"$work/t1.json" >"$work/t2.json"
}

# The bed running epoch 1 (t1.json) through both stages, servers up.
fb_running_t1() {
	fb_up
	fb_world
	fb_start_dp
	fb_start_daemon
	C push "$work/t1.json" >/dev/null || fail "push t1"
	fb_wait_epochs 1/1/1
	fb_start_servers
}

fb_start_servers() {
	local s
	srv_pids=()
	for s in edge:edge0 cloud:cloud0; do
		nsenter --net="/var/run/netns/${P}${s%%:*}" "$server" --iface "${s#*:}" \
			--name "${s#*:}" --compute-us 100 >"$work/${s#*:}.out" 2>"$work/${s#*:}.log" &
		srv_pids+=($!) fb_pids+=($!)
	done
}

# Ends the servers; their JSON counts are in $work/{edge0,cloud0}.out.
fb_stop_servers() {
	local p
	kill "${srv_pids[@]}"
	for p in "${srv_pids[@]}"; do wait "$p" || true; done
}

# es-devsim on dev0 in the background ($devsim_pid) until fb_devsim_stop
# (at most 90 s): 20 devices, 5 tasks a second each, apps 3 and 4;
# $work/devsim.json, timeline.jsonl. Stopped, not timed: under load a
# restart takes seconds, and the run must go on past it.
fb_devsim() {
	nsenter --net="/var/run/netns/${P}dev" "$devsim" --iface dev0 --ap-mac 02:00:00:00:00:fe \
		--devices 20 --first-id 1000 --apps 3,4 --task-rate 5 --tensor-bytes 4000 \
		--duration 90 --timeline "$work/timeline.jsonl" --json \
		>"$work/devsim.json" 2>"$work/devsim.log" &
	devsim_pid=$! fb_pids+=($!)
}

fb_devsim_stop() {
	kill -INT "$devsim_pid"
	wait "$devsim_pid" || fail "es-devsim"
}

# Until the fast path answers es-devsim (a fault injected before would test
# nothing): its DECISION count passes N.
fb_wait_flowing() {
	local _
	for _ in $(seq 100); do [ "$(fb_q decisions)" -gt "$1" ] && return 0; sleep 0.1; done
	fail "the fast path sent no DECISION past $1"
}

fb_init
