# shellcheck shell=bash
# Shared by the test_agent_*.sh scripts: a private hub stand-in on a free
# loopback port, TAP-ish checks, and helpers that read the stub's truth
# (/_stub/repos) to check what the agent wrote.  Source it; it sets $T
# (temp dir), $URL (stub base URL) and cleans both up on EXIT.
set -u

: "${CNORCH_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CNORCH_AGENT:=$CNORCH_SRC/build/remote/cnorch-agent}"
AGENT=$CNORCH_AGENT
STUB=$CNORCH_SRC/tests/fixtures/hubstub.py

T=$(mktemp -d "${TMPDIR:-/tmp}/cnorch-agent-test.XXXXXX")
STUB_PID=
PASS=0
FAIL=0

cleanup() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null
		wait "$STUB_PID" 2>/dev/null
	fi
	for f in "$T"/*.pid; do
		[ -f "$f" ] || continue
		kill -9 "$(cat "$f")" 2>/dev/null
	done
	mountpoint -q "$T/small" 2>/dev/null && umount "$T/small"
	if [ "$FAIL" -gt 0 ] && [ -n "${KEEP_ON_FAIL:-}" ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
notok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $1"
	shift
	for f in "$@"; do
		[ -f "$f" ] && sed 's/^/#   /' "$f" | tail -20
	done
	return 0
}
# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then ok "$name"; else notok "$name" "$T/check.out"; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# Bounded wait: until CMD succeeds, at most SECS seconds, 0.1 s steps.
wait_for() {
	local secs=$1 i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge $((secs * 10)) ] && return 1
		sleep 0.1
	done
}

start_stub() {
	python3 "$STUB" --port 0 --port-file "$T/port" --log "$T/stub.log" "$@" \
		>"$T/stub.out" 2>&1 &
	STUB_PID=$!
	if ! wait_for 20 test -s "$T/port"; then
		echo "Bail out! hub stand-in did not start"
		cat "$T/stub.out"
		exit 1
	fi
	URL=http://127.0.0.1:$(cat "$T/port")
	wait_for 10 curl -sf "$URL/_stub/health" -o /dev/null
}

faults() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$URL/_stub/faults" >/dev/null; }
reset_stats() { curl -sf -X POST "$URL/_stub/reset-stats" >/dev/null; }
# stub_stat EXPR: a Python expression over the stats object d.
stub_stat() {
	curl -sf "$URL/_stub/stats" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# pull ARGS...: the agent against the stub, HF source by default.
pull() { "$AGENT" pull --endpoint "$URL" --modelscope-endpoint "$URL" "$@"; }

# The HF-layout snapshot of REPO in CACHE matches the stub's truth: every
# file's sha256, a relative link into blobs/ named by sha256 (LFS) or git
# oid, refs/main = commit.  Prints what is wrong.
check_snapshot() {
	local cache=$1 repo=$2 type=${3:-model}
	curl -sf "$URL/_stub/repos" | python3 -c '
import hashlib, json, os, sys
cache, repo, rtype = sys.argv[1:4]
repos = json.load(sys.stdin)
r = [x for x in repos if x["id"] == repo and x["type"] == rtype][0]
d = os.path.join(cache, "%ss--%s" % (rtype, repo.replace("/", "--")))
bad = []
ref = open(os.path.join(d, "refs", r["revision"])).read().strip()
if ref != r["sha"]:
    bad.append("refs/%s=%s, want %s" % (r["revision"], ref, r["sha"]))
snap = os.path.join(d, "snapshots", r["sha"])
for f in r["files"]:
    p = os.path.join(snap, f["path"])
    if not os.path.islink(p):
        bad.append("not a link: " + f["path"]); continue
    t = os.readlink(p)
    depth = f["path"].count("/")
    etag = f["sha256"] if f["lfs"] else f["oid"]
    want = "../" * (2 + depth) + "blobs/" + etag
    if t != want:
        bad.append("%s -> %s, want %s" % (f["path"], t, want))
    h = hashlib.sha256(open(p, "rb").read()).hexdigest()
    if h != f["sha256"]:
        bad.append("sha256 of %s is %s, want %s" % (f["path"], h, f["sha256"]))
n = sum(len(fs) for _, _, fs in os.walk(snap))
if n != len(r["files"]):
    bad.append("%d files in snapshot, want %d" % (n, len(r["files"])))
print("\n".join(bad))
sys.exit(1 if bad else 0)
' "$cache" "$repo" "$type"
}

# Nothing but finished links under snapshots/ (for failure cases).
snapshot_files() { find "$1" -path '*/snapshots/*' \( -type f -o -type l \) 2>/dev/null | sed "s|.*/snapshots/[^/]*/||" | sort; }

# The size of REPO's PATH per the stub.
stub_size() {
	curl -sf "$URL/_stub/repos" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"] == sys.argv[1]:
        for f in r["files"]:
            if f["path"] == sys.argv[2]: print(f["size"])' "$1" "$2"
}

export -f stub_stat check_snapshot snapshot_files stub_size
export URL AGENT T

# events FILE EVENT: number of EVENT lines in a JSON-lines file.
events() { grep -c "\"event\":\"$2\"" "$1" 2>/dev/null || true; }
