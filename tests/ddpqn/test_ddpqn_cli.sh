#!/usr/bin/env bash
# `edgesteerctl policy eval --policy ddpqn`: help, JSON shape, --quantized, exit codes and
# error messages naming the file and line. Usage: test_ddpqn_cli.sh EDGESTEERCTL
set -euo pipefail
ctl=$1
command -v python3 >/dev/null || { echo "python3 missing: skip"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$ctl" policy list | grep -q '^ddpqn ' || fail "ddpqn not in policy list"

"$ctl" policy eval --policy ddpqn --help >"$tmp/help" || fail "--help exit status"
for w in SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" --h-form --z-scale --eq13 --resnet --googlenet-4b \
	--variants --train-updates --weights-dir --retrain --curve; do
	grep -q -- "$w" "$tmp/help" || fail "--help lacks $w"
done

# 2 tasks: no weights saved for it, so the two variants train here (briefly).
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 2 --json --ls-evals 300 \
	--random-samples 4 --variants dqn,ddpqn --episodes 40 --curve "$tmp/curve.csv" \
	>"$tmp/out.json" || fail "eval exit status"
python3 - "$tmp/out.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["policy"] == "ddpqn"
(r,) = d["results"]
a = r["agents"]
assert set(a) == {"dqn", "ddpqn"}
for k in a:
    assert not a[k]["loaded"] and a[k]["episodes"] == 40 and a[k]["train_s"] > 0
    assert a[k]["us_per_decision"] > 0 and a[k]["updates"] > 0
assert r["objective"] == a["ddpqn"]["objective"] and r["gap_closed"] == a["ddpqn"]["gap_closed"]
assert r["train_s"] == a["ddpqn"]["train_s"] and r["us_per_decision"] == a["ddpqn"]["us_per_decision"]
assert r["model"] == "alexnet" and r["tasks"] == 2 and r["layers"] == 11
s = r["schemes"]
assert set(s) == {"dp_ref", "dp", "greedy", "local", "edge", "cloud", "random"}
assert s["dp_ref"]["gap_closed"] == 1 and s["random"]["gap_closed"] == 0
for k in s:
    assert s[k]["objective"] >= s["dp_ref"]["objective"] or k == "random"
    for f in ("delay_s", "energy_j", "cost_usd", "H", "Z"):
        assert f in s[k]
assert r["dp_ref"] == s["dp_ref"]["objective"] and r["greedy"] == s["greedy"]["objective"]
for k in a:
    assert a[k]["objective"] < s["random"]["objective"]
    g = (s["random"]["objective"] - a[k]["objective"]) / (s["random"]["objective"] - s["dp_ref"]["objective"])
    assert abs(g - a[k]["gap_closed"]) < 1e-6
PY
# the curve: one line per episode and variant
[ "$(wc -l <"$tmp/curve.csv")" -eq 80 ] || fail "curve lines: $(wc -l <"$tmp/curve.csv")"
grep -q '^alexnet,2,ddpqn,40,' "$tmp/curve.csv" || fail "curve content"

# Saved weights are loaded (train_s 0); a corrupted one is an error naming it.
mkdir "$tmp/w"
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --json --ls-evals 100 \
	--random-samples 2 --variants ddpqn --episodes 20 --weights-dir "$tmp/w" --save-weights \
	>"$tmp/save.json" || fail "--save-weights exit status"
[ -s "$tmp/w/ddpqn-alexnet-1.nnw" ] || fail "weights not saved"
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --json --ls-evals 100 \
	--random-samples 2 --variants ddpqn --weights-dir "$tmp/w" >"$tmp/load.json" || fail "load exit status"
python3 - "$tmp/save.json" "$tmp/load.json" <<'PY' || fail "loaded weights report"
import json, sys
s, l = (json.load(open(f))["results"][0]["agents"]["ddpqn"] for f in sys.argv[1:])
assert not s["loaded"] and l["loaded"] and l["train_s"] == 0
assert s["objective"] == l["objective"]
PY
# --quantized: the int8 copy's figures under the usual names, the float
# ones (= the plain run's) with _float; its saved file records the int8
# section (larger than the float file).
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --json --ls-evals 100 \
	--random-samples 2 --variants ddpqn --weights-dir "$tmp/w" --quantized \
	>"$tmp/quant.json" || fail "--quantized exit status"
python3 - "$tmp/load.json" "$tmp/quant.json" <<'PY' || fail "--quantized report"
import json, sys
l, q = (json.load(open(f))["results"][0] for f in sys.argv[1:])
a = q["agents"]["ddpqn"]
assert a["quantized"] == "int8" and q["quantized"] == "int8"
assert a["objective_float"] == l["agents"]["ddpqn"]["objective"]
assert a["objective"] > 0 and a["us_per_decision"] > 0 and a["us_per_decision_float"] > 0
assert "objective_float" not in l["agents"]["ddpqn"]
PY
mkdir "$tmp/wq"
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --json --ls-evals 100 \
	--random-samples 2 --variants ddpqn --episodes 20 --weights-dir "$tmp/wq" --save-weights \
	--quantized >/dev/null || fail "--quantized --save-weights exit status"
[ "$(stat -c %s "$tmp/wq/ddpqn-alexnet-1.nnw")" -gt "$(stat -c %s "$tmp/w/ddpqn-alexnet-1.nnw")" ] ||
	fail "--quantized --save-weights: no int8 section"
# Another training seed never takes the saved (seed 1) weights, nor saves.
sum1=$(md5sum <"$tmp/w/ddpqn-alexnet-1.nnw")
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --json --ls-evals 100 \
	--random-samples 2 --variants ddpqn --episodes 20 --weights-dir "$tmp/w" --save-weights \
	--train-seed 2 >"$tmp/seed2.json" || fail "--train-seed exit status"
python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["results"][0]["agents"]["ddpqn"]
assert not a["loaded"] and a["train_s"] > 0
' "$tmp/seed2.json" || fail "--train-seed loaded the seed-1 weights"
[ "$(md5sum <"$tmp/w/ddpqn-alexnet-1.nnw")" = "$sum1" ] || fail "--train-seed overwrote the weights"
printf 'garbage' >"$tmp/w/ddpqn-alexnet-1.nnw"
set +e
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --ls-evals 100 --random-samples 2 \
	--variants ddpqn --weights-dir "$tmp/w" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "ddpqn" "$tmp/err" || fail "corrupt weights: exit $rc: $(cat "$tmp/err")"

# No edge server: the all-edge baseline is reported unavailable, not made up.
"$ctl" policy eval --policy ddpqn --model alexnet --tasks 1 --edge 0 --json --ls-evals 100 \
	--random-samples 2 --variants none >"$tmp/noedge.json" || fail "--edge 0 exit status"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]["schemes"]
assert r["edge"] == {"objective": None} and r["cloud"]["objective"] is not None
' "$tmp/noedge.json" || fail "--edge 0 report"

set +e
"$ctl" policy eval --policy ddpqn --no-such-option 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
"$ctl" policy eval --policy ddpqn --variants ddpqn,triple 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--variants" "$tmp/err" || fail "bad variant: exit $rc"
"$ctl" policy eval --policy ddpqn --tasks 0 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--tasks" "$tmp/err" || fail "--tasks 0: exit $rc"
printf 'layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2\n2,b,x,1,\n' >"$tmp/alexnet.csv"
"$ctl" policy eval --policy ddpqn --model alexnet --models-dir "$tmp" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "alexnet.csv:3: exec_time_s 'x'" "$tmp/err" || fail "bad CSV: exit $rc: $(cat "$tmp/err")"
"$ctl" policy eval --policy ddpqn --model resnet101 --resnet sheet 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "resnet101.csv:85: layer 84 (res4n_branch2a) lists itself" "$tmp/err" ||
	fail "resnet sheet: exit $rc: $(cat "$tmp/err")"
echo ok
