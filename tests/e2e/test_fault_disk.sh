#!/usr/bin/env bash
# Fault: the state dir full or read-only while a push persists it. The state
# dir is a 256 KiB tmpfs of the test's own. Filled up, then remounted
# read-only, a whole table and a delta are both refused by the store stage
# with the reason and the directory in the reply, nothing changes in any
# stage (the XDP maps and the fast path stay at the old epoch), and the
# refusals are counted; a daemon restarted on the read-only dir comes back
# with the persisted table; with room again, pushes go through.
# usage: test_fault_disk.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER
set -euo pipefail
fb_name=disk
# shellcheck source=lib/fault_bed.sh
source "$(dirname "$0")/lib/fault_bed.sh" "$@"
fb_state=$work/state
mkdir "$fb_state"
mount -t tmpfs -o size=256k,mode=0750 "es-fault-$$" "$fb_state"
fb_cleanup_more() { umount "$fb_state" 2>/dev/null || umount -l "$fb_state" || true; }
fb_up
fb_world
sed 's/"epoch": 1/"epoch": 3/' "$work/t1.json" >"$work/t3.json"
for n in 2 3 4; do
	printf '{ "edgesteer_policy": 1, "epoch": %d, "delta": true, "devices": [ { "id": %d, "apps": [ { "app": 3, "target": "edge0" } ] } ] }\n' \
		"$n" $((2000 + n)) >"$work/delta-$n.json"
done
fb_start_dp
fb_start_daemon
C push "$work/t1.json" >/dev/null || fail "push t1"
fb_wait_epochs 1/1/1

# refused: prints the reply, checks it names the reason and that nothing moved
refused() { # WHAT FILE REASON EPOCH
	local out
	if out=$(C push "$2" 2>&1); then fail "$1: a push was applied: $out"; fi
	echo "$1: $out"
	grep -q "store: cannot write the table file in $fb_state: $3" <<<"$out" ||
		fail "$1: the reply does not say '$3' and where"
	grep -q "epoch $4 stays in force" <<<"$out" || fail "$1: the reply does not say what stays"
	[ "$(fb_epochs)" = "$4/$4/$4" ] || fail "$1: a stage moved: $(fb_epochs)"
	[ "$(fb_xdp_table | cut -d/ -f1)/$(fb_dp_epoch)" = "$4/$4" ] || fail "$1: XDP or dp moved"
}
pushes() { C stats --json | "$fb_py" -c 'import json, sys; p = json.load(sys.stdin)["pushes"]
print("applied %d, refused %d" % (p["applied"], p["refused"]))'; }

# disk full
dd if=/dev/zero of="$fb_state/fill" bs=4k 2>/dev/null || true
df -k "$fb_state" | tail -1
refused "full, table" "$work/t2.json" "No space left on device" 1
refused "full, delta" "$work/delta-2.json" "No space left on device" 1
[ "$(pushes)" = "applied 1, refused 2" ] || fail "pushes: $(pushes)"
[ ! -e "$fb_state/.table.tmp" ] && [ ! -e "$fb_state/journal" ] || fail "a refused push left files"
rm "$fb_state/fill"
C push "$work/t2.json" >/dev/null || fail "push t2 with room again"
fb_wait_epochs 2/2/2

# read-only
mount -o remount,ro "$fb_state"
refused "read-only, table" "$work/t3.json" "Read-only file system" 2
refused "read-only, delta" "$work/delta-3.json" "Read-only file system" 2
echo "pushes: $(pushes)"
[ "$(pushes)" = "applied 2, refused 4" ] || fail "pushes: $(pushes)"
# a daemon started on it comes back with what it holds, and still refuses
fb_kill9 daemon_pid
fb_start_daemon || fail "edgesteerd on a read-only state dir"
fb_wait_epochs 2/2/2
refused "read-only, restarted" "$work/delta-3.json" "Read-only file system" 2
mount -o remount,rw "$fb_state"
C push "$work/delta-3.json" >/dev/null || fail "a delta with the dir writable again"
fb_wait_epochs 3/3/3
echo "ok: a full or read-only state dir refuses the push and changes no stage"
