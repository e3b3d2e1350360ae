#!/usr/bin/env bash
# The eval CLI end to end: its JSON parses and holds the inequalities
# (exact <= ga <= 1.01 exact, exact <= every baseline), the paper's figures
# are there, --help succeeds, bad options exit 2 with a message. No timing is
# asserted (dp_us is a benchmark figure).
set -euo pipefail
ctl=$1
command -v python3 >/dev/null || { echo "python3 missing" >&2; exit 77; }
"$ctl" policy eval --policy prednnoff --json --dp-reps 10 | python3 -c '
import json, sys
d = json.load(sys.stdin)
ex = d["exact_ms"]
assert ex <= d["ga_ms"] <= 1.01 * ex, (ex, d["ga_ms"])
assert d["ga_worst_ms"] <= 1.01 * ex and d["ga_hits"] == d["ga_runs"] == 20
for k in ("ga_paper_ms", "device_ms", "edge_ms", "cloud_ms", "random_ms"):
    assert ex <= d[k] * (1 + 1e-12), (k, d[k], ex)
assert len(d["placement"]) == d["layers"] == 52 and d["exits"] == 5
p = d["paper"]
assert p["prednnoff_ms"] == 188.93 and p["edgent_ms"] == 207.11
assert p["ours_prednnoff_ms"] <= p["ours_edgent_ms"]
assert abs(p["ours_reduction"] - (1 - p["ours_prednnoff_ms"] / p["ours_edgent_ms"])) < 1e-5
for k in ("dp_us", "ga_us", "edgent_ms", "ga_paper_mean_ms"):
    assert k in d, k
print("eval json ok: exact %.3f ga %.3f edgent %.3f" % (ex, d["ga_ms"], d["edgent_ms"]))
'
"$ctl" policy eval --policy prednnoff --help | grep -q "^Usage: edgesteerctl policy eval --policy prednnoff"
for bad in "--bogus" "--snr-db x" "--tiers 5" "--set nokey" "--sweep --sweep-snr 1:0:1"; do
	rc=0
	# shellcheck disable=SC2086
	"$ctl" policy eval --policy prednnoff $bad >/dev/null 2>"${TMPDIR:-/tmp}/pdo_err.$$" || rc=$?
	grep -q "^error: prednnoff: " "${TMPDIR:-/tmp}/pdo_err.$$" || { echo "no message for $bad" >&2; exit 1; }
	[ "$rc" -eq 2 ] || { echo "'$bad' exited $rc, want 2" >&2; exit 1; }
done
rm -f "${TMPDIR:-/tmp}/pdo_err.$$"
echo "eval cli ok"
