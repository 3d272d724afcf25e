#!/usr/bin/env bash
# Build and run every test: the normal build (static agent) and a second
# build under AddressSanitizer + UndefinedBehaviorSanitizer (dynamic agent,
# since sanitizers cannot be linked fully static).  Installs missing
# packages first.  Usage: tests/check.sh [meson test args...]
set -eu
cd "$(dirname "$0")/.."

tests/setup-deps.sh

setup() {
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

summary() {
	# meson's own closing lines are not a runner format CI reads; add the
	# plain one from its JSON log.
	python3 - "$1" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1] + "/meson-logs/testlog.json"):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print("%s: %d passed, %d failed, %d skipped" % (sys.argv[1], p, f, s))
PY
}

rc=0
setup build
meson test -C build --print-errorlogs "$@" || rc=1
summary build

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_odr_violation=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dstatic_agent=false -Dbuildtype=debug
# The fixtures' self-checks exercise only the Python stand-in and the
# namespaces, no C of ours: the normal build runs them, this one need not.
meson test -C build-asan --print-errorlogs --no-suite fixtures "$@" || rc=1
summary build-asan

exit $rc
