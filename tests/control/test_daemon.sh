#!/usr/bin/env bash
# edgesteerd end to end over its socket, with real processes: push, show,
# diff, rollback, refused tables, malformed messages, kill -9 and restart,
# a baseline policy taking over (the stages: test_daemon_stages.sh).
# usage: test_daemon.sh EDGESTEERD EDGESTEERCTL TEST_CTL_SOCKET EXAMPLE_JSON
set -euo pipefail
daemon=$1 ctl=$2 badmsg=$3 example=$4
dir=$(mktemp -d /tmp/edgesteerd-test.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
sock=$dir/ctl.sock
C() { "$ctl" --socket "$sock" "$@"; }
fail() { echo "FAIL: $*" >&2; echo "--- daemon log:" >&2; cat "$dir/log" >&2; exit 1; }
start() {
	"$daemon" --socket "$sock" --state-dir "$dir/state" "$@" 2>>"$dir/log" &
	pid=$!
	for _ in $(seq 50); do [ -S "$sock" ] && C stats >/dev/null 2>&1 && return 0; sleep 0.05; done
	fail "edgesteerd did not come up"
}
expect_rc() { # RC CMD... : run, check the exit status, keep stdout+stderr in $out
	local want=$1; shift
	set +e; out=$("$@" 2>&1); local rc=$?; set -e
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want: $out"
}
epoch_in_force() { C stats --json | sed -n 's/.*"epoch": \([0-9]*\), "devices".*/\1/p'; }

# the stages themselves: test_daemon_stages.sh
expect_rc 2 "$daemon" --xdp-mode x; grep -q "not native or skb" <<<"$out" || fail "$out"
expect_rc 0 "$daemon" --help; grep -q -- "--epoch-ms" <<<"$out" || fail "no --help"

start
[ "$(stat -c %a "$sock")" = 660 ] || fail "socket mode $(stat -c %a "$sock")"
expect_rc 1 C show; grep -q "no table in force" <<<"$out" || fail "$out"

# who may talk to it: the socket's mode keeps others out, and past the mode
# the daemon's own check (SO_PEERCRED: root, its user, its group) does
as_daemon() { setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; }
if as_daemon "$ctl" --help >/dev/null 2>&1; then
	chmod 755 "$dir"
	expect_rc 3 as_daemon "$ctl" --socket "$sock" stats
	grep -q "Permission denied" <<<"$out" || fail "$out"
	chmod 666 "$sock"
	expect_rc 1 as_daemon "$ctl" --socket "$sock" stats
	grep -q "not allowed" <<<"$out" || fail "$out"
	chmod 660 "$sock"
	chmod 700 "$dir"
else
	echo "skip: no 'daemon' user to check peers with"
fi

expect_rc 0 C validate "$example"
cat >"$dir/bad.json" <<'J'
{ "edgesteer_policy": 1, "epoch": 9,
  "defaults": { "unknown_device": "drop", "rate_kbps": 1000, "burst_bytes": 65536 },
  "servers": [], "devices": [ { "id": 1, "apps": [ { "app": 3, "target": "edge9" } ] } ] }
J
expect_rc 1 C validate "$dir/bad.json"
grep -q "bad.json: devices\[0\].apps\[0\].target: 'edge9'" <<<"$out" || fail "$out"

expect_rc 0 C push "$example"; grep -q "epoch 7 in force" <<<"$out" || fail "$out"
C show --json >"$dir/show7.json"
expect_rc 1 C push "$dir/bad.json"; grep -q "devices\[0\].apps\[0\].target" <<<"$out" || fail "$out"
expect_rc 1 C push "$example"; grep -q "not newer than 7" <<<"$out" || fail "$out"
expect_rc 0 C push --force "$example"
[ "$(epoch_in_force)" = 7 ] || fail "epoch $(epoch_in_force)"
# a stage that cannot prepare (the table file cannot be written): refused, nothing changed
mkdir "$dir/state/.table.tmp"
sed 's/"epoch": 7/"epoch": 70/' "$example" >"$dir/e70.json"
expect_rc 1 C push "$dir/e70.json"; grep -q "refused by a stage: store: cannot write" <<<"$out" || fail "$out"
[ "$(epoch_in_force)" = 7 ] || fail "a refused stage changed the table"
rmdir "$dir/state/.table.tmp"
expect_rc 0 C show --device 2 --json; grep -q '"id": 2' <<<"$out" || fail "$out"
expect_rc 1 C show --device 99

cp "$(dirname "$example")/example-delta.json" "$dir/delta.json"
expect_rc 0 C diff "$dir/delta.json"
grep -q "^+ device 5" <<<"$out" && grep -q "^- device 2" <<<"$out" || fail "$out"
expect_rc 0 C diff --json "$dir/delta.json"; grep -q '"added": 1' <<<"$out" || fail "$out"
expect_rc 0 C push "$dir/delta.json"
[ "$(epoch_in_force)" = 8 ] || fail "delta not in force"

# malformed and oversized messages: an error each, nothing changed, still serving
"$badmsg" "$sock" >"$dir/badmsg.log" 2>&1 || { cat "$dir/badmsg.log"; fail "malformed messages"; }
[ "$(epoch_in_force)" = 8 ] || fail "a malformed message changed the table"

# kill -9 and restart: the last table comes back
C show --json >"$dir/show8.json"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
start
C show --json >"$dir/show8b.json"
cmp -s "$dir/show8.json" "$dir/show8b.json" || fail "table after kill -9 differs"

# rollback: to the previous kept table, to a named one, to one not kept
expect_rc 0 C rollback; [ "$(epoch_in_force)" = 7 ] || fail "rollback"
C show --json >"$dir/show7b.json"
cmp -s "$dir/show7.json" "$dir/show7b.json" || fail "rolled-back table differs"
expect_rc 0 C rollback 8; [ "$(epoch_in_force)" = 8 ] || fail "rollback 8"
expect_rc 1 C rollback 99; grep -q "not kept" <<<"$out" || fail "$out"
expect_rc 2 C rollback x

expect_rc 0 C stats; grep -q "policy:   static" <<<"$out" || fail "$out"
kill "$pid"; wait "$pid" || fail "edgesteerd did not stop cleanly"; pid=

# a baseline takes over: every app goes to the edge, by kind
start --policy all-edge --epoch-ms 20
for _ in $(seq 100); do [ "$(epoch_in_force)" -gt 8 ] && break; sleep 0.02; done
[ "$(epoch_in_force)" = 9 ] || fail "all-edge did not push (epoch $(epoch_in_force))"
expect_rc 0 C show; grep -q "^1 .* 3->edge$" <<<"$out" || fail "$out"
expect_rc 0 C stats --json; grep -q '"name": "all-edge"' <<<"$out" || fail "$out"
echo "ok: edgesteerd end to end"
