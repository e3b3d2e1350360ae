#!/usr/bin/env bash
# edgesteer.sh: set up, build, test, benchmark and demo EdgeSteer on a
# Debian 12 host, as root. Every command first installs what is missing
# (Debian packages, the bpffs mount, hugepages), idempotently, then builds.
set -euo pipefail
# Debian's own tools first (python3, meson, clang): a per-user shim such as
# pyenv's must not stand in for the packages this script installs.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
BUILD_DIR=${ES_BUILD_DIR:-build}
ASAN_DIR=${BUILD_DIR}-asan
FUZZ_DIR=${BUILD_DIR}-fuzz
HUGEPAGES=${ES_HUGEPAGES:-512}		# 2 MiB pages: 1 GiB for DPDK

usage() {
	cat <<'TXT'
Usage: ./edgesteer.sh COMMAND [OPTIONS]

Commands:
  demo [--duration SECONDS]   run the end-to-end demo (default 60 s)
  test [MESON-TEST-ARGS...]   run every test suite, then the unit suite again
                              in a sanitizer build (ASan + UBSan) and each
                              fuzz target for ES_FUZZ_SECONDS under libFuzzer;
                              the last line reads "N passed, N failed, N skipped"
  bench [--suite NAME]        run the benchmarks (long load and soak runs)
  loadtest [--quick] [--out DIR] ...
                              the load test on the namespace test bed: every
                              scenario, loss accounting, latency, rate accuracy
                              (tools/loadtest.sh --help, docs/loadtest.md)
  setup                       install what is missing, and nothing else
  build                       setup, then build into ./build
  help                        this text

Each command is safe to repeat: packages already installed, bpffs already
mounted and hugepages already reserved are left as they are.

Environment:
  ES_BUILD_DIR   build directory (default: build)
  ES_HUGEPAGES   2 MiB hugepages to reserve (default: 512)
  ES_QUICK       1: test skips the sanitizer and fuzz builds
  ES_FUZZ_SECONDS  seconds per fuzz target in test (default: 5)

Exit status: 0 on success, 1 when a test or a step fails, 2 on a usage error.
TXT
}

log() { printf 'edgesteer: %s\n' "$*" >&2; }
die() { printf 'error: edgesteer: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
	meson ninja-build pkg-config gcc clang llvm bpftool
	libbpf-dev libdpdk-dev dpdk dpdk-dev libcjson-dev libpcap-dev libcmocka-dev libopenblas-dev
	iproute2 iputils-ping ethtool netsniff-ng tcpreplay tshark gnuplot-nox python3
)

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_bpffs() {
	mountpoint -q /sys/fs/bpf && return 0
	[ "$(id -u)" -eq 0 ] || { log "bpffs not mounted (needs root)"; return 0; }
	mount -t bpf bpf /sys/fs/bpf
}

ensure_hugepages() {
	local have
	have=$(cat /proc/sys/vm/nr_hugepages)
	[ "$(id -u)" -eq 0 ] || return 0
	if [ "$have" -lt "$HUGEPAGES" ]; then
		echo "$HUGEPAGES" >/proc/sys/vm/nr_hugepages
		have=$(cat /proc/sys/vm/nr_hugepages)
		[ "$have" -ge "$HUGEPAGES" ] || log "only $have of $HUGEPAGES hugepages could be reserved"
	fi
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
}

setup() {
	ensure_packages
	ensure_bpffs
	ensure_hugepages
}

# build [DIR [MESON-SETUP-ARGS...]]: configure once, then compile.
build() {
	local dir=${1:-$BUILD_DIR}
	[ $# -gt 0 ] && shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || die "meson setup $dir failed"
	fi
	meson compile -C "$dir" >/dev/null || {
		meson compile -C "$dir" 2>&1 | tail -40 >&2
		die "build in $dir failed"
	}
}

# Prints "N passed, N failed, N skipped" over meson test logs.
summarize() {
	python3 - "$@" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif r == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
print("{passed} passed, {failed} failed, {skipped} skipped".format(**counts))
sys.exit(1 if counts["failed"] else 0)
PY
}

cmd_test() {
	setup
	build
	local rc=0 logs=("$BUILD_DIR/meson-logs/testlog.json")
	meson test -C "$BUILD_DIR" --num-processes 2 --print-errorlogs "$@" || rc=1
	if [ "${ES_QUICK:-0}" != 1 ] && [ $# -eq 0 ]; then
		log "sanitizer build (address, undefined): unit suite"
		build "$ASAN_DIR" -Db_sanitize=address,undefined -Db_lundef=false
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			meson test -C "$ASAN_DIR" --suite unit --num-processes 2 --print-errorlogs || rc=1
		logs+=("$ASAN_DIR/meson-logs/testlog.json")
		log "fuzz targets under libFuzzer, ${ES_FUZZ_SECONDS:-5} s each"
		CC=clang build "$FUZZ_DIR" -Dfuzz=true -Dfuzz_seconds="${ES_FUZZ_SECONDS:-5}"
		meson test -C "$FUZZ_DIR" --suite fuzz --print-errorlogs || rc=1
		logs+=("$FUZZ_DIR/meson-logs/testlog.json")
	fi
	summarize "${logs[@]}" || rc=1
	return $rc
}

cmd_bench() {
	setup
	build
	meson test -C "$BUILD_DIR" --benchmark --num-processes 1 --verbose "$@"
}

cmd_demo() {
	local duration=60 extra=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--duration) [ $# -ge 2 ] || die "--duration needs SECONDS"; duration=$2; shift 2 ;;
		--duration=*) duration=${1#*=}; shift ;;
		-h|--help) usage; tools/demo.sh --help; return 0 ;;
		--out|--devices|--task-rate|--policy)
			[ $# -ge 2 ] || die "$1 needs a value"; extra+=("$1" "$2"); shift 2 ;;
		*) echo "error: edgesteer: demo: unknown option $1" >&2; return 2 ;;
		esac
	done
	[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -gt 0 ] || die "--duration takes a positive number of seconds"
	setup
	build
	# the whole system on a namespace test bed; see docs/demo.md
	tools/demo.sh "$BUILD_DIR" --duration "$duration" ${extra[@]+"${extra[@]}"}
}

cmd_loadtest() {
	case "${1:-}" in -h|--help) tools/loadtest.sh --help; return 0 ;; esac
	setup
	build
	# scenarios, accounting and plots: see docs/loadtest.md
	tools/loadtest.sh "$BUILD_DIR" "$@"
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
demo) cmd_demo "$@" ;;
test) cmd_test "$@" ;;
bench) cmd_bench "$@" ;;
loadtest) cmd_loadtest "$@" ;;
setup) setup ;;
build) setup; build ;;
help|-h|--help) usage ;;
*) usage >&2; exit 2 ;;
esac
