#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""loadtest.py: the scenarios of tools/loadtest.sh (which parses the options,
checks the host and removes the test bed from its trap; run that, not this).

Every scenario reads every counter on the path before and after (the device
veth, the XDP program, the fast path's AF_PACKET socket and ports, the fast
path), and accounts for every frame that entered the AP:

  in = veth dropped + XDP dropped (by reason) + XDP passed (ordinary traffic)
     + AF_PACKET ring dropped + fast path dropped (by reason)
     + fast path answered (DECISIONs) + fast path forwarded + unaccounted

See docs/loadtest.md for what each figure means.
"""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

VERD = ["NOT_ESOP", "MALFORMED", "UNKNOWN_DEVICE", "OVER_RATE", "REQUEST", "FORWARD",
        "LOCAL", "RETURN", "UNEXPECTED", "NEEDS_TABLE"]
DROP = ["NONE", "SHORT", "BAD_MAGIC", "BAD_VERSION", "BAD_TYPE", "RESERVED_FLAGS",
        "HDR_LEN_SMALL", "HDR_PAST_END", "ZERO_DEVICE", "TENSOR_RANGE", "TENSOR_EMPTY",
        "PAYLOAD_NOT_EMPTY", "IP_LEN", "UDP_LEN", "GTP_LEN"]
XDP_ACT = ["ABORTED", "DROP", "PASS", "TX", "REDIRECT"]
DROPPING = ("UNKNOWN_DEVICE", "OVER_RATE", "UNEXPECTED")
RATE_DEVS = [(50001, 400), (50002, 800), (50003, 1600), (50004, 6400)]	# (id, kbit/s)
BURST = 16000	# bytes: 20 ms at 6.4 Mbit/s, room for the sender's jitter (a 4 ms meter tick)


class Run:
    """The paths, the processes and the results of one load test."""

    def __init__(self, a):
        self.a = a
        self.b = a["build"]
        self.P = a["prefix"]
        self.work = a["work"]
        self.out = a["out"]
        self.quick = a["quick"]
        self.procs = []
        self.epoch = 0
        self.results = {}
        self.tty = sys.stdout.isatty()
        self.bin = {k: os.path.join(self.b, v) for k, v in {
            "dp": "dataplane/edgesteer-dp", "daemon": "control/daemon/edgesteerd",
            "ctl": "control/edgesteerctl", "devsim": "tools/es-devsim",
            "server": "tools/es-server", "pcapgen": "tools/es-pcapgen",
            "sockstat": "tools/es-loadtest-sockstat"}.items()}

    # ---- processes -------------------------------------------------------
    def ns(self, name):
        return ["nsenter", f"--net=/var/run/netns/{self.P}{name}"]

    def spawn(self, argv, log, **kw):
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", open(log, "w")),
                             stderr=subprocess.STDOUT if "stderr" not in kw else kw.pop("stderr"),
                             **kw)
        self.procs.append(p)
        with open(os.path.join(self.work, "pids"), "a") as f:
            f.write(f"{p.pid}\n")
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        try:	# a generator's own group (trafgen's forked sender)
            if os.getpgid(p.pid) == p.pid:
                os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)
        self.procs = []

    def run(self, argv, check=True, **kw):
        r = subprocess.run(argv, capture_output=True, text=True, **kw)
        if check and r.returncode:
            raise RuntimeError(f"{' '.join(argv[:3])}...: exit {r.returncode}: "
                               f"{(r.stderr or r.stdout).strip()[-400:]}")
        return r

    def say(self, msg):
        print(("\r\033[K" if self.tty else "") + msg, flush=True)

    def progress(self, msg):
        # a line a second; on a terminal it rewrites itself
        if self.tty:
            print("\r\033[K" + msg, end="", flush=True)
        else:
            print(msg, flush=True)

    # ---- counters ----------------------------------------------------------
    def tel(self, prefix, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2")
            s.recv(65536)
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 20))[cmd.split(",")[0]]
        finally:
            s.close()

    def link(self, ns, dev):
        r = self.run(self.ns(ns) + ["ip", "-s", "-j", "link", "show", dev])
        st = json.loads(r.stdout)[0]["stats64"]
        return {"rx": st["rx"]["packets"], "rx_dropped": st["rx"]["dropped"],
                "tx": st["tx"]["packets"], "tx_dropped": st["tx"]["dropped"]}

    def ethtool_xdp(self):
        r = self.run(self.ns("ap") + ["ethtool", "-S", "ap0"])
        n = 0
        for line in r.stdout.splitlines():
            k, _, v = line.strip().partition(":")
            if k.startswith("rx_queue_") and k.endswith("_xdp_packets"):
                n += int(v)
        return n

    def sock(self, attach=False):
        """The ap0 socket's kernel counters, summed since the filter went on
        (each read resets the kernel's, so they are accumulated here)."""
        argv = self.ns("ap") + [self.bin["sockstat"]]
        if attach:
            argv += ["--esop-filter", "ap0"]
        r = self.run(argv + [str(self.dp.pid)])
        st = {s["if"]: s for s in json.loads(r.stdout)["sockets"]}["ap0"]
        if attach:
            self.sock_total = {"packets": 0, "drops": 0}
            self.port0_base = self.tel(f"{self.P}dp", "/ethdev/stats,0")["ipackets"]
        else:
            for k in ("packets", "drops"):
                self.sock_total[k] += st[k]
        return dict(self.sock_total)

    def backlog(self):
        """Frames the kernel put in the fast path's ring that it has not read yet."""
        s = self.sock()
        p0 = self.tel(f"{self.P}dp", "/ethdev/stats,0")["ipackets"]
        return s["packets"] - s["drops"] - (p0 - self.port0_base)

    def ctl(self, *args, sock=None):
        return self.run([self.bin["ctl"], "--socket", sock or f"{self.work}/ctl.sock", *args])

    def snap(self, fp_prefix=None):
        """Every counter on the path, at one moment: read in the order a
        frame meets them, again if the device side moved meanwhile (the
        device namespace's kernel sends a frame of its own now and then)."""
        fp_prefix = fp_prefix or f"{self.P}dp"
        for _ in range(10):
            s = {"t": time.monotonic()}
            if fp_prefix == f"{self.P}dp":
                s["dev0"] = self.link("dev", "dev0")
                s["ap0_xdp"] = self.ethtool_xdp()
                st = json.loads(self.ctl("stats", "--json").stdout)
                s["xdp"] = st["xdp"]
                s["epoch"] = st["table"]["epoch"]
                s["sock"] = self.sock()
                s["edge0"] = self.link("edge", "edge0")
                s["cloud0"] = self.link("cloud", "cloud0")
            s["fp"] = self.tel(fp_prefix, "/edgesteer/stats")
            s["ports"] = [self.tel(fp_prefix, f"/ethdev/stats,{i}") for i in range(3)]
            if fp_prefix != f"{self.P}dp" or (self.link("dev", "dev0") == s["dev0"]
                                              and self.backlog() == 0):
                return s
        return s

    # ---- tables and pushes -------------------------------------------------
    def table_text(self, which, epoch):
        return self.tables[which].replace('"epoch": 1,', f'"epoch": {epoch},', 1)

    def push(self, which):
        self.epoch += 1
        path = f"{self.work}/push.json"
        with open(path, "w") as f:
            f.write(self.table_text(which, self.epoch))
        t0 = time.monotonic()
        r = self.ctl("push", path)
        return time.monotonic() - t0, r

    # ---- set-up ---------------------------------------------------------
    def make_tables(self):
        a = self.a
        w = self.work
        self.run([self.bin["pcapgen"], "--out", f"{w}/mix.pcap", "--trafgen", f"{w}/mix.cfg",
                  "--policy", f"{w}/t1.json", "--frames", str(a["frames"]),
                  "--devices", str(a["devices"]), "--first-id", "1", "--tensor-bytes", "64",
                  "--over-rate", "1"])
        # the rate devices: TENSORs only, 1000-byte payloads, uniform over the four
        self.run([self.bin["pcapgen"], "--out", f"{w}/rate.pcap", "--policy", f"{w}/rate.json",
                  "--frames", "4000", "--devices", str(len(RATE_DEVS)), "--first-id",
                  str(RATE_DEVS[0][0]), "--req-pct", "0", "--malformed-pct", "0",
                  "--ordinary-pct", "0", "--tensor-bytes", "1000", "--over-rate", "0"])
        t1 = json.load(open(f"{w}/t1.json"))
        extra = json.load(open(f"{w}/rate.json"))["devices"]
        for d, (_, kbps) in zip(extra, RATE_DEVS):
            d["rate_kbps"], d["burst_bytes"] = kbps, BURST
        t1["devices"] += extra
        t2 = json.loads(json.dumps(t1))
        for d in t2["devices"]:	# the alternate table: app 3 to the cloud
            for ap in d["apps"]:
                if ap["app"] == 3:
                    ap["target"] = "cloud0"
        # net_pcap's infinite_rx holds the whole pcap in mbufs: edgesteer-dp's
        # pool has 12,288 (less what the ports hold), so the rate run gets 3,000
        # frames of the same mix (same seed)
        self.run([self.bin["pcapgen"], "--out", f"{w}/fprate.pcap",
                  "--frames", str(min(a["frames"], 3000)), "--devices", str(a["devices"]),
                  "--first-id", "1", "--tensor-bytes", "64", "--over-rate", "1"])
        self.tables = {1: json.dumps(t1, indent=0), 2: json.dumps(t2, indent=0)}
        self.frames_in_pcap = a["frames"]

    def start_dp(self, prefix, vdevs, sock, ns=None, log="dp.log"):
        argv = (self.ns(ns) if ns else []) + [
            self.bin["dp"], "-l", "0-1", "--no-pci", "--no-huge", "-m", "512",
            "--file-prefix", prefix, "--log-level", "*:error"]
        for v in vdevs:
            argv += ["--vdev", v]
        p = self.spawn(argv + ["--", "--socket", sock], f"{self.work}/{log}")
        for _ in range(150):
            if os.path.exists(sock):
                return p
            if p.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"edgesteer-dp did not come up (see {log})")

    def start_daemon(self, ctl_sock, dp_sock, xdp, log):
        argv = (self.ns("ap") if xdp else []) + [
            self.bin["daemon"], "--socket", ctl_sock, "--state-dir", f"{ctl_sock}.state",
            "--dp-socket", dp_sock, "--max-devices", "16384", "--policy", "static"]
        if xdp:
            argv += ["--xdp-if", "ap0", "--xdp-pin-dir", self.a["pins"], "--detach-on-exit"]
        p = self.spawn(argv, f"{self.work}/{log}")
        for _ in range(100):
            if self.ctl("stats", sock=ctl_sock).returncode == 0 if os.path.exists(ctl_sock) else False:
                return p
            time.sleep(0.05)
        raise RuntimeError(f"edgesteerd did not come up (see {log})")

    def start_bed(self):
        self.run([self.a["testbed"], "up", self.P])
        w = self.work
        self.dp = self.start_dp(f"{self.P}dp", ["net_af_packet0,iface=ap0",
                                "net_af_packet1,iface=ap1", "net_af_packet2,iface=ap2"],
                                f"{w}/dp.sock", ns="ap")
        self.daemon = self.start_daemon(f"{w}/ctl.sock", f"{w}/dp.sock", True, "daemon.log")
        secs, r = self.push(1)
        if r.returncode:
            raise RuntimeError(f"first push: {r.stderr.strip()}")
        self.sock(attach=True)	# see es-loadtest-sockstat --help: only ESOP on the fast path's socket
        self.servers = {}
        for ns, dev in (("edge", "edge0"), ("cloud", "cloud0")):
            self.servers[dev] = self.spawn(self.ns(ns) + [
                self.bin["server"], "--iface", dev, "--name", dev, "--compute-us", "50",
                "--stats", f"{w}/{dev}.json"], f"{w}/{dev}.log", stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    # ---- the scenarios -----------------------------------------------------
    def generator(self, kind, pcap_or_cfg, seconds, pps=None):
        """Starts a generator on dev0; returns (process, parse(stdout) -> frames sent)."""
        log = f"{self.work}/gen.log"
        if kind == "trafgen":	# stopped with SIGINT S seconds after it starts sending
            argv = self.ns("dev") + ["trafgen", "-i", pcap_or_cfg, "-o", "dev0", "-P", "1",
                                     "--no-sock-mem", "--notouch-irq", "--no-cpu-stats"]
        else:
            argv = self.ns("dev") + ["tcpreplay", "-i", "dev0", f"--pps={pps}", "--loop=0",
                                     f"--duration={seconds}", "--preload-pcap", pcap_or_cfg]
        # its own process group: trafgen forks its sender, and SIGINT must reach both
        return self.spawn(argv, log, stdout=open(log, "w"), start_new_session=True), log

    @staticmethod
    def gen_count(kind, log):
        text = open(log).read()
        if kind == "trafgen":
            m = re.search(r"(\d+) packets outgoing", text)
            return (int(m.group(1)), None) if m else (None, None)
        m = re.search(r"Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds", text)
        f = re.search(r"Failed packets:\s+(\d+)", text)
        if not m:
            return None, None
        return int(m.group(1)) - (int(f.group(1)) if f else 0), float(m.group(2))

    def sample_loop(self, name, stop, series, pushes, push_every):
        """Once a second: a progress line and a point of the throughput series;
        with push_every, a table push every second (alternating tables)."""
        t0 = time.monotonic()
        prev = self.snap_light()
        k, which = 0, 2
        while not stop.wait(max(0.0, t0 + k + 1 - time.monotonic())):
            k += 1
            if push_every:
                tp = time.monotonic() - t0
                dt, r = self.push(which)
                pushes.append({"t": round(tp, 3), "epoch": self.epoch,
                               "ms": round(dt * 1000, 1), "ok": r.returncode == 0})
                which = 3 - which
            cur = self.snap_light()
            dt = cur["t"] - prev["t"]
            row = {"t": round(cur["t"] - t0, 2),
                   "in_pps": (cur["in"] - prev["in"]) / dt,
                   "xdp_pps": (cur["xdp"] - prev["xdp"]) / dt,
                   "fp_rx_pps": (cur["rx0"] - prev["rx0"]) / dt,
                   "out_pps": (cur["tx"] - prev["tx"]) / dt, "epoch": cur["epoch"]}
            series.append(row)
            prev = cur
            self.progress(f"  {name:<14} {row['t']:5.1f} s | in {row['in_pps'] / 1e3:7.1f} kpps"
                          f" | XDP {row['xdp_pps'] / 1e3:7.1f} kpps | fast path rx "
                          f"{row['fp_rx_pps'] / 1e3:7.1f} out {row['out_pps'] / 1e3:7.1f} kpps"
                          f" | epoch {cur['epoch']} pushes {len(pushes)}")

    def drain(self, most=60.0):
        """Waits until nothing moves on the path: the generator has stopped
        and the fast path has read every frame the kernel put in its ring (a
        starved worker can take seconds), so that the readings that follow
        agree with each other."""
        t0, last = time.monotonic(), None
        while time.monotonic() - t0 < most:
            cur = (self.link("dev", "dev0")["tx"], self.backlog())
            if cur[1] == 0 and last and cur[0] == last[0]:
                return
            last = cur
            time.sleep(0.3)
        self.say(f"  warning: the fast path still has {cur[1]} frames to read after {most:.0f} s")

    def snap_light(self):
        st = json.loads(self.ctl("stats", "--json").stdout)
        p0 = self.tel(f"{self.P}dp", "/ethdev/stats,0")
        return {"t": time.monotonic(), "in": self.link("dev", "dev0")["tx"],
                "xdp": sum(st["xdp"]["actions"]), "rx0": p0["ipackets"],
                "tx": st["dp"]["tx"], "epoch": st["dp"]["epoch"]}

    def scenario(self, name, kind, src, seconds, pps=None, push_every=False, devsim=None):
        self.drain()
        before = self.snap()	# also zeroes the socket's counters (a read resets them)
        stop, series, pushes = threading.Event(), [], []
        th = threading.Thread(target=self.sample_loop,
                              args=(name, stop, series, pushes, push_every), daemon=True)
        th.start()
        ds = None
        if devsim:
            ds = self.spawn(self.ns("dev") + [
                self.bin["devsim"], "--iface", "dev0", "--ap-mac", "02:00:00:00:00:fe",
                "--devices", str(devsim["devices"]), "--first-id", "1000", "--apps", "3,4",
                "--task-rate", str(devsim["rate"]), "--tensor-bytes", "2000",
                "--duration", str(seconds), "--latencies", f"{self.work}/latencies.txt",
                "--json"], f"{self.work}/devsim.json", stderr=open(f"{self.work}/devsim.log", "w"))
        g, log = self.generator(kind, src, seconds, pps) if kind else (None, None)
        if g and kind == "trafgen":
            # trafgen reads its configuration first (seconds for 20,000 frames)
            t0, tx0 = time.monotonic(), self.link("dev", "dev0")["tx"]
            while g.poll() is None and time.monotonic() - t0 < 60:
                if self.link("dev", "dev0")["tx"] > tx0 + 100:
                    break
                time.sleep(0.1)
            time.sleep(seconds)
            os.killpg(g.pid, signal.SIGINT)
            try:
                g.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(g.pid, signal.SIGKILL)
        if g:
            g.wait()
        if ds:
            ds.wait()
        self.drain()	# let the queues drain before the last reading
        stop.set()
        th.join()
        after = self.snap()
        sent, gsecs = self.gen_count(kind, log) if g else (0, None)
        r = {"generator": kind or "es-devsim", "seconds": seconds, "requested_pps": pps,
             "generator_frames": sent}
        if ds:
            d = json.load(open(f"{self.work}/devsim.json"))
            r["devsim"] = {k: d[k] for k in ("reqs", "decisions", "results", "timeouts",
                                              "fragments", "decision_p50_us", "decision_p99_us",
                                              "decision_p999_us")}
            r["generator_frames"] = (sent or 0) + d["reqs"] + d["fragments"]
        r.update(account(before, after))
        active = [row for row in series if row["in_pps"] > 0]
        window = gsecs or max(1.0, len(active))
        r["send_seconds"] = round(window, 2)
        r["mpps_in"] = round(r["in"] / window / 1e6, 4)
        r["mpps_out"] = round(r["fp_sent"] / window / 1e6, 4)
        full = [row["in_pps"] for row in active[1:-1]] or [row["in_pps"] for row in active]
        r["mpps_in_median_second"] = round(statistics.median(full) / 1e6, 4) if full else 0
        r["series"] = series
        if push_every:
            ok = [p for p in pushes if p["ok"]]
            r["pushes"] = {"count": len(pushes), "ok": len(ok),
                           "ms_median": statistics.median(p["ms"] for p in ok) if ok else None,
                           "ms_max": max((p["ms"] for p in ok), default=None),
                           "epochs": [before["epoch"], after["epoch"]],
                           "fp_swaps": after["fp"]["swaps"] - before["fp"]["swaps"],
                           # frames lost before our code while the pushes ran
                           # (at the sustained rate "sustained" lost none), and
                           # any frame no counter has
                           "lost_frames": r["veth_dropped"] + r["ring_dropped"],
                           "unaccounted": r["unaccounted"], "at": pushes}
        self.say(f"  {name:<14} in {r['in']:,} frames ({r['mpps_in']:.4f} Mpps), out "
                 f"{r['fp_sent']:,} ({r['mpps_out']:.4f} Mpps); kernel drops veth "
                 f"{r['veth_dropped']:,} ring {r['ring_dropped']:,}; unaccounted {r['unaccounted']}")
        return r

    def rate_accuracy(self, seconds):
        """Four devices over (three) and under (one) their table rate."""
        ids = [i for i, _ in RATE_DEVS]
        before = {i: self.meter(i) for i in ids}
        # each device offered 1/4 of 2,000 frames/s of ~1,070 bytes: ~4.3 Mbit/s
        r = self.scenario("rate", "tcpreplay", f"{self.work}/rate.pcap", seconds, pps=2000)
        after = {i: self.meter(i) for i in ids}
        frame = 14 + 20 + 8 + 32 + 1000
        window = r["send_seconds"]
        devs = []
        for (i, kbps) in RATE_DEVS:
            acc = after[i]["bytes"] - before[i]["bytes"]
            offered = (after[i]["packets"] + after[i]["over_rate"]
                       - before[i]["packets"] - before[i]["over_rate"]) * frame
            expect = min(kbps * 1000 / 8 * window + BURST, offered)
            devs.append({"id": i, "rate_kbps": kbps, "burst_bytes": BURST,
                         "offered_kbps": round(offered * 8 / window / 1000, 1),
                         "accepted_kbps": round(acc * 8 / window / 1000, 1),
                         "expected_bytes": int(expect), "accepted_bytes": acc,
                         "accuracy": round(acc / expect, 4) if expect else None,
                         "over_rate_frames": after[i]["over_rate"] - before[i]["over_rate"]})
        r["devices"] = devs
        return r

    def meter(self, dev_id):
        """The XDP meter's per-device counters (packets, bytes, over_rate)."""
        key = [f"0x{b:02x}" for b in dev_id.to_bytes(4, "little")]
        for v in ("es_dev0", "es_dev1"):
            r = self.run(["bpftool", "-j", "map", "lookup", "pinned", f"{self.a['pins']}/{v}",
                          "key", "hex", *[k[2:] for k in key]], check=False)
            if r.returncode == 0:
                slot = json.loads(r.stdout)["formatted"]["value"]["meter"]
                m = json.loads(self.run(["bpftool", "-j", "map", "lookup", "pinned",
                                         f"{self.a['pins']}/es_meters", "key", "hex",
                                         *[f"{b:02x}" for b in slot.to_bytes(4, "little")]]).stdout)
                return m["formatted"]["value"]
        raise RuntimeError(f"device {dev_id} is in neither table version")

    def fastpath_alone(self, seconds, frames):
        """edgesteer-dp alone on net_pcap: the rate with infinite_rx, then every
        frame of a finite replay (through a FIFO, so that it starts after the
        table push) accounted for by the fast path's counters."""
        w = self.work
        pfx = f"{self.P}fp"
        fp1 = f"{w}/fp1.json"
        with open(fp1, "w") as f:
            f.write(self.table_text(1, 1))
        # A: the rate, from the PMD's in-memory copy of the pcap
        dp = self.start_dp(pfx, [f"net_pcap0,rx_pcap={w}/fprate.pcap,infinite_rx=1",
                                 "net_null1,no-rx=1", "net_null2,no-rx=1"],
                           f"{w}/fp.sock", log="fp.log")
        dm = self.start_daemon(f"{w}/fpctl.sock", f"{w}/fp.sock", False, "fpdaemon.log")
        series = []
        try:
            self.ctl("push", fp1, sock=f"{w}/fpctl.sock")
            t0 = time.monotonic()
            prev = self.fp_light(pfx)
            for k in range(seconds):
                time.sleep(max(0.0, t0 + k + 1 - time.monotonic()))
                cur = self.fp_light(pfx)
                dt = cur["t"] - prev["t"]
                row = {"t": round(cur["t"] - t0, 2), "in_pps": (cur["rx"] - prev["rx"]) / dt,
                       "out_pps": (cur["tx"] - prev["tx"]) / dt}
                series.append(row)
                prev = cur
                self.progress(f"  {'fastpath_alone':<14} {row['t']:5.1f} s | net_pcap in "
                              f"{row['in_pps'] / 1e6:6.3f} Mpps | out {row['out_pps'] / 1e6:6.3f} Mpps")
        finally:
            self.stop(dp, signal.SIGINT)
            self.stop(dm)
            for x in (f"{w}/fp.sock", f"{w}/fpctl.sock"):
                if os.path.exists(x):
                    os.unlink(x)
        # B: a finite replay through a FIFO, started once the table is in force
        fifo = f"{w}/replay.pcap"
        os.mkfifo(fifo)
        pcap = open(f"{w}/mix.pcap", "rb").read()
        header, body = pcap[:24], pcap[24:]
        reps = max(1, frames // self.frames_in_pcap)
        go, done = threading.Event(), threading.Event()

        def writer():
            try:
                with open(fifo, "wb") as f:	# blocks until the PMD opens it
                    f.write(header)
                    f.flush()
                    go.wait(30)
                    for _ in range(reps):
                        f.write(body)
            except BrokenPipeError:
                pass	# the fast path went away: the accounting says so
            done.set()

        th = threading.Thread(target=writer, daemon=True)
        th.start()
        dp = self.start_dp(pfx, [f"net_pcap0,rx_pcap={fifo}", "net_null1,no-rx=1",
                                 "net_null2,no-rx=1"], f"{w}/fp.sock", log="fp2.log")
        dm = self.start_daemon(f"{w}/fpctl2.sock", f"{w}/fp.sock", False, "fpdaemon2.log")
        try:
            self.ctl("push", fp1, sock=f"{w}/fpctl2.sock")
            before = self.snap(pfx)
            t0 = time.monotonic()
            go.set()
            done.wait(120)
            last = None
            while True:	# until the fast path has taken the last frame
                time.sleep(0.2)
                cur = self.fp_light(pfx)
                if last and cur["rx"] == last["rx"]:
                    break
                last = cur
            after = self.snap(pfx)
        finally:
            go.set()
            self.stop(dp, signal.SIGINT)
            self.stop(dm)
        r = account_fp_alone(before, after)
        r["generator_frames"] = reps * self.frames_in_pcap
        full = [row["in_pps"] for row in series[1:]] or [row["in_pps"] for row in series]
        outs = [row["out_pps"] for row in series[1:]] or [row["out_pps"] for row in series]
        r.update({"generator": "net_pcap (edgesteer-dp): infinite_rx for the rate, "
                  "a FIFO replay for the accounting",
                  "seconds": seconds, "mpps_in": round(statistics.median(full) / 1e6, 4),
                  "mpps_out": round(statistics.median(outs) / 1e6, 4),
                  "replay_seconds": round(last["t"] - t0, 2), "series": series})
        self.say(f"  {'fastpath_alone':<14} {r['mpps_in']:.3f} Mpps in, {r['mpps_out']:.3f} Mpps "
                 f"out; replay of {r['in']:,} frames: unaccounted {r['unaccounted']}")
        return r

    def fp_light(self, pfx):
        st = self.tel(pfx, "/edgesteer/stats")
        return {"t": time.monotonic(), "rx": st["rx"], "tx": st["tx"]}


def d(a, b, *path):
    for p in path:
        a, b = a[p], b[p]
    return b - a


def fp_guard(b, a, r):
    """The fast path's own guards (docs/security.md): a spoofed source is
    dropped before any verdict; a REQUEST over the device's reply meter gets
    its verdict but no DECISION."""
    for k in ("bind_mismatch", "reply_limited"):
        n = a["fp"].get(k, 0) - b["fp"].get(k, 0)
        if n:
            r["fp_dropped"][k] = n


def account(b, a):
    """Deltas of every counter between readings @b and @a, and the identity."""
    xv = [a["xdp"]["verdicts"][i] - b["xdp"]["verdicts"][i] for i in range(len(VERD))]
    xr = [a["xdp"]["drops"][i] - b["xdp"]["drops"][i] for i in range(len(DROP))]
    xa = [a["xdp"]["actions"][i] - b["xdp"]["actions"][i] for i in range(len(XDP_ACT))]
    fv = {v: a["fp"][f"verdict_{v}"] - b["fp"][f"verdict_{v}"] for v in VERD[:-1]}
    fc = {k: a["fp"][k] - b["fp"][k] for k in ("rx", "tx", "tx_drop", "decision", "to_control",
                                               "return_no_addr", "family_mismatch", "too_big")}
    fr = {n: a["fp"][f"drop_{n}"] - b["fp"][f"drop_{n}"] for n in DROP[1:]}
    ports = [d(b["ports"][i], a["ports"][i], "ipackets") for i in range(3)]
    sock = {k: a["sock"][k] - b["sock"][k] for k in ("packets", "drops")}
    r = {}
    r["in"] = d(b, a, "dev0", "tx") + d(b, a, "dev0", "tx_dropped")
    r["veth_dropped"] = d(b, a, "dev0", "tx_dropped")
    r["xdp_seen_veth"] = a["ap0_xdp"] - b["ap0_xdp"]
    r["xdp_seen"] = sum(xa)
    r["xdp_dropped"] = {VERD[1] + "." + DROP[i]: xr[i] for i in range(1, len(DROP)) if xr[i]}
    for v in DROPPING:
        if xv[VERD.index(v)]:
            r["xdp_dropped"][v] = xv[VERD.index(v)]
    # a source other than the device's bound one: dropped before any verdict
    # (docs/security.md); es-devsim after trafgen reuses ids from new addresses
    xbind = a["xdp"].get("bind_mismatch", 0) - b["xdp"].get("bind_mismatch", 0)
    if xbind:
        r["xdp_dropped"]["bind_mismatch"] = xbind
    r["xdp_passed"] = xv[0]
    r["xdp_to_fastpath"] = sum(xv[VERD.index(v)] for v in ("REQUEST", "FORWARD", "LOCAL", "RETURN"))
    r["xdp_no_xsk"] = d(b, a, "xdp", "no_xsk")
    r["socket_offered"] = sock["packets"]
    r["ring_dropped"] = sock["drops"]
    r["fp_port_rx"] = ports
    # port 0 brings only the devices' ESOP (the socket's filter); the
    # servers' ports bring RESULTs (RETURN, UNEXPECTED) and their hosts' own frames
    from_servers = ports[1] + ports[2]
    fp_not_esop_0 = fv["NOT_ESOP"] - (from_servers - fv["RETURN"] - fv["UNEXPECTED"])
    r["fp_dropped"] = {"MALFORMED." + n: v for n, v in fr.items() if v}
    for v in DROPPING[:2]:
        if fv[v]:
            r["fp_dropped"][v] = fv[v]
    if fp_not_esop_0:
        r["fp_dropped"]["NOT_ESOP"] = fp_not_esop_0
    if fc["family_mismatch"]:	# FORWARDs to a server of the other IP family
        r["fp_dropped"]["family_mismatch"] = fc["family_mismatch"]
    r["fp_too_big"] = fc["too_big"]	# inside REQUEST/LOCAL: a DECISION that did not fit
    fp_guard(b, a, r)
    r["fp_answered"] = (fv["REQUEST"] + fv["LOCAL"]	# DECISIONs (TELEMETRY: to the control plane)
                        - r["fp_dropped"].get("reply_limited", 0))
    r["fp_forwarded"] = fv["FORWARD"] - fc["family_mismatch"]
    r["fp_returned"] = fv["RETURN"]
    r["fp_decisions"] = fc["decision"]
    r["fp_sent"] = fc["tx"]
    r["fp_tx_dropped"] = fc["tx_drop"]
    r["server_rx"] = {"edge0": d(b, a, "edge0", "rx"), "cloud0": d(b, a, "cloud0", "rx")}
    named = (r["veth_dropped"] + sum(r["xdp_dropped"].values()) + r["xdp_passed"]
             + r["ring_dropped"] + sum(r["fp_dropped"].values()) + r["fp_answered"]
             + r["fp_forwarded"])
    r["accounted"] = named
    r["unaccounted"] = r["in"] - named
    r["checks"] = {
        # each is 0 when two independent counters agree
        "veth": r["in"] - r["veth_dropped"] - r["xdp_seen_veth"],
        "xdp": r["xdp_seen"] - r["xdp_seen_veth"],
        "socket": r["socket_offered"] - r["xdp_to_fastpath"],
        "ring": r["socket_offered"] - r["ring_dropped"] - ports[0],
        "tx": fc["tx"] + fc["tx_drop"] - fc["decision"] - r["fp_forwarded"]
              - (fv["RETURN"] - fc["return_no_addr"]),
    }
    r["fp_verdicts"] = {k: v for k, v in fv.items() if v}
    r["xdp_epochs"] = [b["xdp"]["epoch"], a["xdp"]["epoch"]]
    return r


def account_fp_alone(b, a):
    """The fast path alone: every frame net_pcap delivered has a verdict and a fate."""
    fv = {v: a["fp"][f"verdict_{v}"] - b["fp"][f"verdict_{v}"] for v in VERD[:-1]}
    fc = {k: a["fp"][k] - b["fp"][k] for k in ("rx", "tx", "tx_drop", "decision",
                                               "family_mismatch", "too_big", "return_no_addr")}
    fr = {n: a["fp"][f"drop_{n}"] - b["fp"][f"drop_{n}"] for n in DROP[1:]}
    ports = [d(b["ports"][i], a["ports"][i], "ipackets") for i in range(3)]
    r = {"in": ports[0], "fp_rx": fc["rx"]}
    r["fp_dropped"] = {"MALFORMED." + n: v for n, v in fr.items() if v}
    for v in ("NOT_ESOP", "UNKNOWN_DEVICE", "OVER_RATE", "UNEXPECTED"):
        if fv[v]:
            r["fp_dropped"][v] = fv[v]
    fp_guard(b, a, r)
    r["fp_answered"] = fv["REQUEST"] + fv["LOCAL"] - r["fp_dropped"].get("reply_limited", 0)
    r["fp_forwarded"] = fv["FORWARD"] - fc["family_mismatch"]
    if fc["family_mismatch"]:
        r["fp_dropped"]["family_mismatch"] = fc["family_mismatch"]
    r["fp_decisions"] = fc["decision"]
    r["fp_sent"] = fc["tx"]
    r["fp_tx_dropped"] = fc["tx_drop"]
    r["accounted"] = sum(r["fp_dropped"].values()) + r["fp_answered"] + r["fp_forwarded"]
    r["unaccounted"] = r["in"] - r["accounted"]
    r["checks"] = {"rx": fc["rx"] - ports[0],
                   "tx": fc["tx"] + fc["tx_drop"] - fc["decision"] - r["fp_forwarded"],
                   "port_tx": sum(d(b["ports"][i], a["ports"][i], "opackets") for i in range(3))
                   + sum(d(b["ports"][i], a["ports"][i], "oerrors") for i in range(3))
                   - fc["tx"] - fc["tx_drop"]}
    r["fp_verdicts"] = {k: v for k, v in fv.items() if v}
    return r


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def main():
    import argparse
    ap = argparse.ArgumentParser(description="internal: run tools/loadtest.sh")
    ap.add_argument("--build", required=True)
    ap.add_argument("--testbed", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--pins", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=int, required=True)
    ap.add_argument("--devices", type=int, required=True)
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--offered-pps", type=int, required=True)
    a = vars(ap.parse_args())
    run = Run(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    S = a["seconds"]
    res = {"host": {"cpus": os.cpu_count(), "kernel": os.uname().release,
                    "loadavg_start": loadavg(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "fast_path_port0": "net_af_packet on ap0 (the test bed's default), "
                                       "socket filtered to ESOP by es-loadtest-sockstat"},
           "config": {"quick": a["quick"], "seconds": S, "devices": a["devices"],
                      "pcap_frames": a["frames"], "offered_pps_requested": a["offered_pps"],
                      "mix": {"OFFLOAD_REQ": 10, "malformed": 2, "ordinary": 3, "TENSOR": 85,
                              "tensor_payload_bytes": 64, "over_rate_device": 1},
                      "rate_devices": [{"id": i, "rate_kbps": k} for i, k in RATE_DEVS]},
           "scenarios": {}}
    sc = res["scenarios"]
    try:
        run.say(f"loadtest: {a['devices']:,} devices, {S} s a scenario{' (quick)' if a['quick'] else ''}; "
                f"load average {' '.join(loadavg())}")
        run.make_tables()
        sc["fastpath_alone"] = run.fastpath_alone(S, a["frames"] * (2 if a["quick"] else 10))
        run.start_bed()
        # 1: all the generator can offer (1 Mpps asked), a push every second
        sc["max_offered"] = run.scenario("max_offered", "trafgen", f"{a['work']}/mix.cfg", S,
                                         push_every=True)
        sc["max_offered"]["requested_pps"] = a["offered_pps"]
        m = sc["max_offered"]
        cap = m["in"] * (1 - (m["veth_dropped"] + m["ring_dropped"]) / max(1, m["in"])) / m["send_seconds"]
        # 2: the sustained rate: the highest paced rate with nothing lost before our code
        pps = max(200, int(min(a["offered_pps"], cap * 0.9)) // 100 * 100)
        sweep, best = [], None
        for _ in range(1 if a["quick"] else 5):
            r = run.scenario(f"sweep {pps // 1000}k", "tcpreplay", f"{a['work']}/mix.pcap",
                             max(3, S // 2), pps=pps)
            lost = r["veth_dropped"] + r["ring_dropped"]
            sweep.append({"requested_pps": pps, "mpps_in": r["mpps_in"], "mpps_out": r["mpps_out"],
                          "kernel_dropped": lost, "in": r["in"], "unaccounted": r["unaccounted"]})
            if lost == 0:
                best = pps
                break
            pps = max(200, int(pps * 0.6) // 100 * 100)
        res["sweep"] = sweep
        best = best or pps
        sc["sustained"] = run.scenario("sustained", "tcpreplay", f"{a['work']}/mix.pcap", S,
                                       pps=best)
        # the same load with a table push every second: what the pushes cost
        sc["push"] = run.scenario("push", "tcpreplay", f"{a['work']}/mix.pcap", S,
                                  pps=best, push_every=True)
        res["sustained_pps"] = best
        res["sustained_mpps_in"] = sc["sustained"]["mpps_in"]
        res["sustained_mpps_out"] = sc["sustained"]["mpps_out"]
        # 3: REQ -> DECISION latency at 10 % of the sustained load
        # es-devsim's 20 devices send a REQ and two fragments a task; the rest
        # of the 10 % comes from tcpreplay
        target = best * 0.1
        devsim = {"devices": 20, "rate": max(0.5, round(target / 60, 1))}
        bg = int(max(0, target - 60 * devsim["rate"]))
        sc["latency"] = run.scenario("latency", "tcpreplay" if bg else None,
                                     f"{a['work']}/mix.pcap", S, pps=bg or None, devsim=devsim)
        dsm = sc["latency"]["devsim"]
        res["latency_us"] = {"p50": dsm["decision_p50_us"], "p99": dsm["decision_p99_us"],
                             "p999": dsm["decision_p999_us"], "target_p99": 50,
                             "p99_met": dsm["decision_p99_us"] <= 50,
                             "load_pps": round(sc["latency"]["in"] / S),
                             "samples": dsm["decisions"]}
        # 4: per-device rate accuracy
        sc["rate"] = run.rate_accuracy(S)
        res["rate_accuracy"] = sc["rate"]["devices"]
        res["pushes"] = {k: sc[k]["pushes"] for k in ("max_offered", "push")}
    finally:
        run.stop_all()
    res["host"]["loadavg_end"] = loadavg()
    res["unaccounted"] = {k: v["unaccounted"] for k, v in sc.items()}
    with open(f"{a['out']}/loadtest.json", "w") as f:
        json.dump(res, f, indent=1)
    plots(res, a["out"], a["work"])
    summary(res)
    return 0 if all(v == 0 for v in res["unaccounted"].values()) else 1


def plots(res, out, work):
    sc = res["scenarios"]
    with open(f"{work}/tp.dat", "w") as f:
        for name in ("max_offered", "push"):
            f.write(f"# {name}\n")
            for r in sc[name]["series"]:
                f.write(f"{r['t']} {r['in_pps'] / 1e3:.2f} {r['xdp_pps'] / 1e3:.2f} "
                        f"{r['fp_rx_pps'] / 1e3:.2f} {r['out_pps'] / 1e3:.2f}\n")
            f.write("\n\n")
    marks = []
    for i, name in enumerate(("max_offered", "push")):
        for p in sc[name]["pushes"]["at"]:
            marks.append(f'set arrow from {p["t"]}, graph 0 to {p["t"]}, graph 1 nohead '
                         f'dt 3 lc rgb "red"')
    with open(f"{work}/lat.dat", "w") as f:
        lat = sorted(int(x) for x in open(f"{work}/latencies.txt") if x.strip()) \
            if os.path.exists(f"{work}/latencies.txt") else []
        for i, v in enumerate(lat):
            f.write(f"{v} {(i + 1) / len(lat):.6f}\n")
    with open(f"{work}/rate.dat", "w") as f:
        for dv in res["rate_accuracy"]:
            f.write(f"{dv['id']} {dv['rate_kbps']} {dv['offered_kbps']} {dv['accepted_kbps']}\n")
    lu = res["latency_us"]
    gp = f"""
set terminal pngcairo size 1100,520 font "DejaVu Sans,10"
set output "{out}/throughput.png"
set multiplot layout 1,2 title "EdgeSteer load test: frames a second (pushes every second in red)"
set grid; set key top right; set xlabel "time (s)"; set ylabel "kframes/s"; set yrange [0:*]
set title "max offered (trafgen, 1 Mpps asked)"
{chr(10).join(marks[:len(sc['max_offered']['pushes']['at'])])}
plot "{work}/tp.dat" index 0 u 1:2 w lp t "in (dev0)", "" index 0 u 1:3 w lp t "XDP", \\
     "" index 0 u 1:4 w lp t "fast path rx", "" index 0 u 1:5 w lp t "fast path out"
unset arrow
set title "the sustained rate ({res['sustained_pps']:,} pps asked, tcpreplay) with a push every second"
{chr(10).join(marks[len(sc['max_offered']['pushes']['at']):])}
plot "{work}/tp.dat" index 1 u 1:2 w lp t "in (dev0)", "" index 1 u 1:3 w lp t "XDP", \\
     "" index 1 u 1:4 w lp t "fast path rx", "" index 1 u 1:5 w lp t "fast path out"
unset multiplot
unset arrow
set terminal pngcairo size 900,520 font "DejaVu Sans,10"
set output "{out}/latency.png"
set title "REQ -> DECISION at {lu['load_pps']:,} frames/s (es-devsim's clock): p50 {lu['p50']} us, p99 {lu['p99']} us, p99.9 {lu['p999']} us"
set xlabel "latency (us)"; set ylabel "fraction <= x"; set logscale x; set yrange [0:1]; set key bottom right
set arrow from 50, graph 0 to 50, graph 1 nohead dt 2 lc rgb "red"
set label "target p99 50 us" at 50, graph 0.1 offset 0.5,0 tc rgb "red"
plot "{work}/lat.dat" u 1:2 w l lw 2 t "CDF"
unset logscale x; unset arrow; unset label
set output "{out}/rate.png"
set title "per-device rate accuracy: XDP meter, {res['scenarios']['rate']['send_seconds']} s"
set style data histograms; set style fill solid 0.6 border -1; set boxwidth 0.9
set xlabel "device"; set ylabel "kbit/s"; set yrange [0:*]; set key top left
plot "{work}/rate.dat" u 2:xtic(1) t "table rate", "" u 3 t "offered", "" u 4 t "accepted (measured)"
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=True)


def summary(res):
    sc = res["scenarios"]
    print("\n=== EdgeSteer load test ===")
    print(f"{'scenario':<16}{'in':>12}{'Mpps in':>10}{'Mpps out':>10}{'kernel drop':>13}"
          f"{'XDP drop':>10}{'passed':>9}{'fp drop':>9}{'answered':>10}{'forwarded':>11}{'unacc.':>8}")
    for k, v in sc.items():
        kd = v.get("veth_dropped", 0) + v.get("ring_dropped", 0)
        print(f"{k:<16}{v['in']:>12,}{v['mpps_in']:>10.4f}{v['mpps_out']:>10.4f}{kd:>13,}"
              f"{sum(v.get('xdp_dropped', {}).values()):>10,}{v.get('xdp_passed', 0):>9,}"
              f"{sum(v['fp_dropped'].values()):>9,}{v['fp_answered']:>10,}{v['fp_forwarded']:>11,}"
              f"{v['unaccounted']:>8}")
    lu = res["latency_us"]
    s = sc["sustained"]
    lost = s["veth_dropped"] + s["ring_dropped"]
    print(f"sustained: {res['sustained_pps']:,} pps asked, {res['sustained_mpps_in']:.4f} Mpps in, "
          f"{res['sustained_mpps_out']:.4f} Mpps out, " +
          ("nothing lost before our code" if not lost else
           f"{lost:,} lost before our code (counted: veth/ring)" +
           (" - no sweep with --quick" if res["config"]["quick"] else
            " - the sweep found no loss-free rate")))
    print(f"REQ->DECISION at {lu['load_pps']:,} frames/s: p50 {lu['p50']} us, p99 {lu['p99']} us, "
          f"p99.9 {lu['p999']} us (target p99 <= 50 us: {'met' if lu['p99_met'] else 'NOT met'})")
    print("rate accuracy: " + ", ".join(f"{dv['id']} {dv['accepted_kbps']}/{dv['rate_kbps']} kbit/s "
                                        f"({dv['accuracy']})" for dv in res["rate_accuracy"]))
    for k, p in res["pushes"].items():
        print(f"pushes during {k}: {p['ok']}/{p['count']} ok, median {p['ms_median']} ms, "
              f"epochs {p['epochs'][0]} -> {p['epochs'][1]}, fast path swaps {p['fp_swaps']}, "
              f"lost frames {p['lost_frames']}")
    print(f"load average: start {' '.join(res['host']['loadavg_start'])}, "
          f"end {' '.join(res['host']['loadavg_end'])}")


if __name__ == "__main__":
    sys.exit(main())
