#!/usr/bin/env bash
# The namespace test bed comes up, carries ordinary IPv4 and IPv6 traffic
# from the devices' side to the edge and cloud sites through the AP's
# kernel stack, and goes away without a trace (the AP's mount namespace too). Usage: test_testbed.sh TESTBED_SH
set -euo pipefail
tb=$1
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
P=t$$
P=${P:0:5}-
trap '"$tb" down "$P"' EXIT INT TERM
"$tb" up "$P"
for dst in 198.18.1.2 198.18.2.2 2001:2:0:1::2 2001:2:0:2::2; do
	ip netns exec "${P}dev" ping -c3 -i0.2 -W2 "$dst" >/dev/null || { echo "FAIL: ping $dst"; exit 1; }
done
"$tb" down "$P"
trap - EXIT INT TERM
if ip netns list | grep -q "^${P}"; then
	echo "FAIL: namespaces left behind"; exit 1
fi
[ ! -e "/run/edgesteer-bed-$P" ] || { echo "FAIL: the AP's mount namespace left behind"; exit 1; }
echo "test bed up, v4 and v6 through the AP, down cleanly"
