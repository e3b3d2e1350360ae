#!/usr/bin/env bash
# `edgesteerctl policy eval --policy ddpqn`: help, JSON shape, exit codes and
# error messages naming the file and line. Usage: test_ddpqn_cli.sh EDGESTEERCTL
set -euo pipefail
ctl=$1
command -v python3 >/dev/null || { echo "python3 missing: skip"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$ctl" policy list | grep -q '^ddpqn ' || fail "ddpqn not in policy list"

"$ctl" policy eval --policy ddpqn --help >"$tmp/help" || fail "--help exit status"
for w in SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" --h-form --z-scale --eq13 --resnet --googlenet-4b; do
	grep -q -- "$w" "$tmp/help" || fail "--help lacks $w"
done

"$ctl" policy eval --policy ddpqn --model alexnet --tasks 2 --json --ls-evals 300 \
	--random-samples 4 >"$tmp/out.json" || fail "eval exit status"
python3 - "$tmp/out.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["policy"] == "ddpqn" and d["agents"] is None
(r,) = d["results"]
assert r["model"] == "alexnet" and r["tasks"] == 2 and r["layers"] == 11
s = r["schemes"]
assert set(s) == {"dp_ref", "dp", "greedy", "local", "edge", "cloud", "random"}
assert s["dp_ref"]["gap_closed"] == 1 and s["random"]["gap_closed"] == 0
for k in s:
    assert s[k]["objective"] >= s["dp_ref"]["objective"] or k == "random"
    for f in ("delay_s", "energy_j", "cost_usd", "H", "Z"):
        assert f in s[k]
assert r["dp_ref"] == s["dp_ref"]["objective"] and r["greedy"] == s["greedy"]["objective"]
PY

# No edge server: the all-edge baseline is reported unavailable, not made up.
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --edge 0 --json --ls-evals 100 \
	--random-samples 2 >"$tmp/noedge.json" || fail "--edge 0 exit status"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]["schemes"]
assert r["edge"] == {"objective": None} and r["cloud"]["objective"] is not None
' "$tmp/noedge.json" || fail "--edge 0 report"

set +e
"$ctl" policy eval --policy ddpqn --no-such-option 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
"$ctl" policy eval --policy ddpqn --tasks 0 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--tasks" "$tmp/err" || fail "--tasks 0: exit $rc"
printf 'layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2\n2,b,x,1,\n' >"$tmp/alexnet.csv"
"$ctl" policy eval --policy ddpqn --model alexnet --models-dir "$tmp" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "alexnet.csv:3: exec_time_s 'x'" "$tmp/err" || fail "bad CSV: exit $rc: $(cat "$tmp/err")"
"$ctl" policy eval --policy ddpqn --model resnet101 --resnet sheet 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "resnet101.csv:85: layer 84 (res4n_branch2a) lists itself" "$tmp/err" ||
	fail "resnet sheet: exit $rc: $(cat "$tmp/err")"
echo ok
