#!/usr/bin/env bash
# edgesteerd and slow peers on its socket: test_ctl_slow.c against a real
# daemon (docs/security.md, "The control socket").
# usage: test_daemon_slow.sh EDGESTEERD TEST_CTL_SLOW
set -euo pipefail
daemon=$1 slow=$2
dir=$(mktemp -d /tmp/edgesteerd-slow.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
sock=$dir/ctl.sock
"$daemon" --socket "$sock" --state-dir "$dir/state" 2>>"$dir/log" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { cat "$dir/log" >&2; echo "FAIL: edgesteerd did not come up" >&2; exit 1; }
if ! "$slow" "$sock"; then
	echo "--- daemon log:" >&2; cat "$dir/log" >&2; exit 1
fi
grep -c "incomplete at its deadline" "$dir/log" | grep -qx 3 || { cat "$dir/log" >&2; exit 1; }
kill "$pid"; wait "$pid" || { echo "FAIL: edgesteerd did not stop cleanly" >&2; exit 1; }
pid=
echo "ok: slow peers cut off at their deadline"
