#!/usr/bin/env bash
# cnorch-agent pull from two sources and against rate limits: one file
# fetched from the mirror and ModelScope at once (one source stalling
# mid-file, one serving wrong bytes), 429 with RateLimit headers pausing
# the whole origin, and the endgame running on several connections.
. "$(dirname "$0")/agent_lib.sh"

REPO=src/one
MiB=1048576
python3 - "$T/repos.json" <<'PY'
import json, sys
big = lambda path, mib: {"path": path, "size": mib << 20, "lfs": True}
json.dump({"models": {
    "src/one": {"modelscope": True, "files": [big("model.safetensors", 16)]},
    "src/many": {"modelscope": True, "files": [big("m-%d.safetensors" % i, 1)
                                               for i in range(6)]}}},
    open(sys.argv[1], "w"))
PY
start_stub --repos "$T/repos.json"
M=$URL
# The second instance: ModelScope, same bytes, its own faults and log.
python3 "$STUB" --host 127.0.0.2 --port 0 --port-file "$T/ms.port" \
	--repos "$T/repos.json" --log "$T/ms.log" >"$T/ms.out" 2>&1 &
echo $! >"$T/ms.pid"
wait_for 20 test -s "$T/ms.port" || { echo "Bail out! second stand-in"; exit 1; }
S=http://127.0.0.2:$(cat "$T/ms.port")
wait_for 10 curl -sf "$S/_stub/health" -o /dev/null
post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$1/_stub/faults" >/dev/null; }

# two ARGS...: a fresh cache, a two-source pull; leaves $C, $EV, $RC.
n=0
two() {
	n=$((n + 1))
	C=$T/c$n
	EV=$T/ev$n.jsonl
	: >"$T/stub.log"; : >"$T/ms.log"
	"$AGENT" pull --endpoint "$M" --modelscope-endpoint "$S" --repo "$REPO" \
		--cache-dir "$C" --source auto --json --stall-timeout 1 "$@" \
		>"$EV" 2>"$T/err$n"
	RC=$?
}
# field EVENT EXPR: EXPR (Python, over the event e) for each EVENT line.
field() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event") == sys.argv[2]:
        print(eval(sys.argv[3]))' "$EV" "$1" "$2"
}

# --- one source stalls mid-file, the other finishes it ------------------------
post "$M" "{\"conn_rate_bps\": $MiB}"
post "$S" "{\"conn_rate_bps\": $MiB, \"rules\": [{\"match\": \"/repo\", \"kind\": \"source_stall\", \"after_total_bytes\": $((3 * MiB))}]}"
two -x 4
if [ "$RC" -eq 0 ] && check_snapshot "$C" "$REPO" >"$T/chk" 2>&1; then
	ok "two sources, ModelScope stalling mid-file: the file verifies"
else
	notok "two sources with a stall (rc $RC)" "$T/err$n" "$T/chk" "$EV"
fi
ms=$(field file_done 'e["sources"].get("modelscope", 0)')
hf=$(field file_done 'e["sources"].get("hf", 0)')
check "file_done names both sources' bytes (hf $hf, modelscope $ms)" \
	python3 -c "assert $ms >= 3 * $MiB // 2 and $hf > 0 and $hf + $ms >= 16 * $MiB"
check "the stalled source is drained with a source event" \
	python3 -c "assert 'modelscope' in '''$(field source 'e.get("from")')'''"
check "done carries per-source bytes" \
	python3 -c "assert '''$(field done 'sorted(e["sources"])')''' == \"['hf', 'modelscope']\""

# --- one source serves wrong bytes ---------------------------------------------
post "$M" "{\"conn_rate_bps\": $((4 * MiB))}"
post "$S" "{\"conn_rate_bps\": $((4 * MiB)), \"rules\": [{\"match\": \"/repo\", \"kind\": \"bad_object\"}]}"
two -x 2
if [ "$RC" -eq 0 ] && check_snapshot "$C" "$REPO" >"$T/chk" 2>&1; then
	ok "ModelScope serving wrong bytes: the file still ends verified"
else
	notok "a bad source (rc $RC)" "$T/err$n" "$T/chk" "$EV"
fi
check "a retry says the mismatch is fetched again from one source" \
	grep -q '"reason":"sha256 mismatch with bytes from 2 sources' "$EV"
check "the event names ModelScope as the source of the bad bytes" \
	test "$(field file_done 'e.get("bad_source")')" = modelscope
post "$S" '{}'

# --- 429 with RateLimit headers: the whole origin pauses ------------------------
post "$M" '{"rate_limit": {"budget": 2, "window_s": 3}}'
: >"$T/stub.log"
EV=$T/rl.jsonl
"$AGENT" pull --endpoint "$M" --repo src/many --cache-dir "$T/rl" --source hf \
	--json -j 3 -x 2 >"$EV" 2>"$T/rl.err"
RC=$?
if [ "$RC" -eq 0 ] && check_snapshot "$T/rl" src/many >"$T/chk" 2>&1; then
	ok "429 budget: the pull completes"
else
	notok "429 budget (rc $RC)" "$T/rl.err" "$T/chk"
fi
wait429=$(field retry 'e["delay_s"] if e["reason"] == "HTTP 429" else ""' | grep . | head -1)
check "a retry event shows the 429's wait (${wait429:-none} s)" \
	python3 -c "assert 1.0 <= float('${wait429:-0}') <= 4.0"
check "no request reached the origin during the pause" python3 - "$T/stub.log" "${wait429:-0}" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
first = min(r["t"] for r in log if r["status"] == 429)
# a request the agent sent before the 429 reached it may trail by a moment
paused = [r for r in log if first + 0.2 < r["t"] < first + float(sys.argv[2]) - 0.05]
assert not paused, paused
PY
post "$M" '{}'

# --- the endgame runs on several connections -----------------------------------
post "$M" "{\"conn_rate_bps\": $MiB}"
: >"$T/stub.log"
EV=$T/eg.jsonl
"$AGENT" pull --endpoint "$M" --repo "$REPO" --cache-dir "$T/eg" --source hf \
	--json -x 8 >"$EV" 2>"$T/eg.err"
RC=$?
check "capped single-source pull verifies (rc $RC)" check_snapshot "$T/eg" "$REPO"
check "the file's last 10% came over several connections at once" python3 - "$T/stub.log" <<'PY'
import json, sys
# Each request sends evenly over its lifetime (the cap makes it so); the
# moment 90% of the bytes were in, how many requests were still sending?
reqs = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["status"] in (200, 206) and r["bytes"] > 0 and "/cdn/" in r["path"]:
        reqs.append((r["t"], r["t"] + r["ms"] / 1000.0, r["bytes"]))
total = sum(n for _, _, n in reqs)
cum = lambda t: sum(n * min(1.0, max(0.0, (t - a) / (e - a))) if e > a else
                    (n if t >= e else 0) for a, e, n in reqs)
lo, hi = min(a for a, _, _ in reqs), max(e for _, e, _ in reqs)
a, e = lo, hi
for _ in range(60):
    m = (a + e) / 2
    a, e = (m, e) if cum(m) < 0.9 * total else (a, m)
sending = [r for r in reqs if r[0] <= e < r[1]]
assert len(sending) >= 2, (e, reqs)
PY
kill "$(cat "$T/ms.pid")" 2>/dev/null && wait "$(cat "$T/ms.pid")" 2>/dev/null
rm -f "$T/ms.pid"
finish
