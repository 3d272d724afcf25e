#!/usr/bin/env bash
# Benchmark cnorch-agent against curl (one stream) and aria2c -x 8 -s 8 on
# the hub stand-in's 1 GiB file (test-org/big-model), in the same run:
#   1. per-connection rate cap (CN mirrors throttle each connection),
#   2. uncapped on loopback (what hashing and bookkeeping cost),
#   3. injected stalls and drops: bytes fetched / file size and how fast
#      each stall was recovered,
#   4. peak RSS while fetching a 4 GiB file (BENCH_4G=0 skips it).
# Not part of the test suite.  Needs curl, aria2c (Debian's aria2),
# /usr/bin/time.
#
# Env: CNORCH_AGENT (default build/remote/cnorch-agent), BENCH_CAP_BPS
# (per-connection cap, default 16 MiB/s), BENCH_DIR (scratch, default a
# temp dir; needs ~6 GiB free with BENCH_4G=1).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
AGENT=${CNORCH_AGENT:-$src/build/remote/cnorch-agent}
CAP=${BENCH_CAP_BPS:-16777216}
BIG4=${BENCH_4G:-1}
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cnorch-bench.XXXXXX")
stub_pid=
cleanup() {
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

for tool in curl aria2c /usr/bin/time python3; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
[ -x "$AGENT" ] || { echo "bench: no agent at $AGENT" >&2; exit 1; }

cat >"$W/repos.json" <<'EOF'
{"include_defaults": true,
 "models": {"test-org/huge-model": {"revision": "main", "files": [
	{"path": "model.safetensors", "size": 4294967296, "lfs": true}]}}}
EOF
python3 "$src/tests/fixtures/hubstub.py" --port 0 --port-file "$W/port" \
	--repos "$W/repos.json" >"$W/stub.log" 2>&1 &
stub_pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$W/port")
FILE_URL=$URL/test-org/big-model/resolve/main/model.safetensors
SIZE=$((1 << 30))

faults() { curl -sf -X POST -d "$1" "$URL/_stub/faults" >/dev/null; }
reset() { curl -sf -X POST "$URL/_stub/reset-stats" >/dev/null; }
sent() { curl -sf "$URL/_stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_sent"])'; }
now() { date +%s.%N; }
mbps() { python3 -c "print('%.1f' % ($SIZE / ($2 - $1) / 1048576))"; }

# The stub hashes the big files once (cached under ~/.cache).
echo "# warming the hub stand-in (hashing its big files once)..."
curl -sf "$URL/api/models/test-org/big-model/tree/main?recursive=true" >/dev/null
[ "$BIG4" = 1 ] && curl -sf "$URL/api/models/test-org/huge-model/tree/main?recursive=true" >/dev/null

run_curl() {
	rm -f "$W/curl.out"
	local t0 t1
	t0=$(now)
	curl -sfL -o "$W/curl.out" "$FILE_URL" || echo "curl failed" >&2
	t1=$(now)
	rm -f "$W/curl.out"
	mbps "$t0" "$t1"
}
# curl, then fsync of the file: the durable baseline (the agent syncs
# every verified file before it links it, so a power cut never leaves a
# visible file whose bytes are not on disk).
run_curl_sync() {
	rm -f "$W/curl.out"
	local t0 t1
	t0=$(now)
	curl -sfL -o "$W/curl.out" "$FILE_URL" || echo "curl failed" >&2
	python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$W/curl.out"
	t1=$(now)
	rm -f "$W/curl.out"
	mbps "$t0" "$t1"
}
run_aria() {
	rm -rf "$W/aria"
	local t0 t1
	t0=$(now)
	aria2c -q -x 8 -s 8 --file-allocation=none --allow-overwrite=true \
		--auto-file-renaming=false -d "$W/aria" -o big "$FILE_URL" ||
		echo "aria2c failed" >&2
	t1=$(now)
	rm -rf "$W/aria"
	mbps "$t0" "$t1"
}
# run_agent TAG ARGS...: throughput; peak RSS into $W/TAG.rss (KiB).
run_agent() {
	local tag=$1 t0 t1
	shift
	rm -rf "$W/hub"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$W/$tag.rss" "$AGENT" pull --endpoint "$URL" \
		--repo test-org/big-model --include model.safetensors \
		--cache-dir "$W/hub" --source hf --json "$@" >"$W/$tag.jsonl" \
		2>"$W/$tag.err" || echo "agent failed: $(tail -1 "$W/$tag.err")" >&2
	t1=$(now)
	rm -rf "$W/hub"
	mbps "$t0" "$t1"
}
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

echo "# 1 GiB file, hub stand-in on loopback, $(nproc) cores"
echo
echo "## rate-capped: $((CAP / 1048576)) MiB/s per connection"
faults "{\"rules\":[{\"match\":\"/cdn/\",\"kind\":\"rate\",\"bps\":$CAP}]}"
c=$(run_curl)
a=$(run_aria)
g=$(run_agent capped -x 8)
printf '%-26s %8s MiB/s\n' "curl (1 stream)" "$c" "aria2c -x 8 -s 8" "$a" \
	"cnorch-agent -x 8" "$g"
echo "agent / curl   = $(ratio "$g" "$c")   (target >= 6)"
echo "agent / aria2c = $(ratio "$g" "$a")   (target >= 1.0)"
echo "agent peak RSS = $(($(cat "$W/capped.rss") / 1024)) MiB"
echo

echo "## uncapped loopback"
faults '{"rules":[]}'
c=$(run_curl)
cs=$(run_curl_sync)
a=$(run_aria)
g=$(run_agent uncapped -x 8)
printf '%-26s %8s MiB/s\n' "curl (1 stream)" "$c" "curl + fsync" "$cs" \
	"aria2c -x 8 -s 8" "$a" "cnorch-agent -x 8" "$g"
echo "agent / curl   = $(ratio "$g" "$c")   (target >= 0.8)"
echo "agent / (curl + fsync) = $(ratio "$g" "$cs")"
echo "agent / aria2c = $(ratio "$g" "$a")"
echo "agent peak RSS = $(($(cat "$W/uncapped.rss") / 1024)) MiB"
echo

echo "## stalls and drops (stall-timeout 2 s, $((CAP / 1048576)) MiB/s per connection)"
faults "{\"rules\":[
	{\"match\":\"/cdn/\",\"kind\":\"rate\",\"bps\":$CAP},
	{\"match\":\"/cdn/\",\"kind\":\"stall\",\"after_bytes\":2000000,\"first\":4},
	{\"match\":\"/cdn/\",\"kind\":\"drop\",\"after_bytes\":5000000,\"first\":8}]}"
reset
g=$(run_agent faults -x 8 --stall-timeout 2)
s=$(sent)
echo "throughput     = $g MiB/s"
echo "bytes fetched / file size = $(python3 -c "print('%.4f' % ($s / $SIZE))")   (target <= 1.05)"
python3 - "$W/faults.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
stalls = [e for e in ev if e["event"] == "stall"]
retries = [e for e in ev if e["event"] == "retry"]
# A stall is detected stall-timeout after the last byte; the connection
# is reopened after the retry delay that follows it.
worst = 0.0
for s in stalls:
    after = [r for r in retries if r["ts"] >= s["ts"] and r.get("path") == s["path"]]
    d = after[0]["delay_s"] if after else 0.0
    worst = max(worst, 2.0 + d)
print("stalls = %d, retries = %d, slowest stall recovery = %.2f s "
      "(stall-timeout + backoff; target <= stall-timeout + 3 s)"
      % (len(stalls), len(retries), worst))
done = [e for e in ev if e["event"] == "done"][-1]
print("result = %s" % done["status"])
PY
echo

if [ "$BIG4" = 1 ]; then
	echo "## peak RSS on a 4 GiB file (uncapped)"
	faults '{"rules":[]}'
	rm -rf "$W/hub"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$W/huge.rss" "$AGENT" pull --endpoint "$URL" \
		--repo test-org/huge-model --cache-dir "$W/hub" --source hf -x 8 \
		>/dev/null 2>"$W/huge.err" || echo "agent failed: $(tail -1 "$W/huge.err")"
	t1=$(now)
	rm -rf "$W/hub"
	echo "4 GiB in $(python3 -c "print('%.1f' % ($t1 - $t0))") s, peak RSS = $(($(cat "$W/huge.rss") / 1024)) MiB   (target < 32)"
fi
