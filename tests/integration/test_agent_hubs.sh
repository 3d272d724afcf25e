#!/usr/bin/env bash
# The agent's hubs (issue 11 items 3, 5 and the planning of 2; issue 13
# item 2): Xet-backed files through the mirror's bridge, a >50 GB plan,
# ModelScope datasets/pagination/cookie token/id mapping, two-source
# pairing, and the ladder up to a second stand-in as "huggingface.co" on
# 127.0.0.3 reached only through a proxy.
. "$(dirname "$0")/agent_lib.sh"

HERE=$CNORCH_SRC/tests/fixtures
cat >"$T/spec.json" <<'JSON'
{"include_defaults": true,
 "models": {
  "test-org/xet-model": {"revision": "main", "modelscope": true, "xet": true,
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 41943040, "lfs": true},
              {"path": "huge.safetensors", "size": 53687091200, "lfs": true}]},
  "test-org/ms-private": {"revision": "main", "hf": false, "modelscope": true,
    "private": true, "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 1048576, "lfs": true}]},
  "test-org/hf-name": {"revision": "main", "modelscope": true,
    "modelscope_id": "ms-org/ms-name",
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 2097152, "lfs": true}]},
  "test-org/differ": {"revision": "main", "modelscope": true,
    "files": [{"path": "a.safetensors", "size": 1048576, "lfs": true},
              {"path": "b.safetensors", "size": 1048576, "lfs": true,
               "ms_sha256": false}]}},
 "datasets": {
  "test-org/ms-dataset": {"revision": "main", "hf": false, "modelscope": true,
    "generated": {"count": 450, "prefix": "gen/"},
    "files": [{"path": "data/train.bin", "size": 2097152, "lfs": true}]}}}
JSON
start_stub --repos "$T/spec.json"

# --- Xet through the mirror's bridge ---------------------------------------
faults '{"bridge_expire_after_s": 1, "conn_rate_bps": 6000000}'
pull --repo test-org/xet-model --source hf --cache-dir "$T/x1" --include model.safetensors \
	-x 2 --json >"$T/x1.jsonl" 2>"$T/x1.err"
RC=$?
faults '{}'
sha=$(curl -sf "$URL/_stub/repos" | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin) if x["id"]=="test-org/xet-model"][0]
print([f["sha256"] for f in r["files"] if f["path"]=="model.safetensors"][0])')
link=$(curl -sI "$URL/test-org/xet-model/resolve/main/model.safetensors" | tr -d '\r' | sed -n 's/^X-Linked-Etag: "\(.*\)"/\1/p')
check "xet: the pull ends ok" test "$RC" -eq 0
check "xet: the blob is named by the resolve hop's X-Linked-Etag (= sha256)" \
	bash -c "[ '$link' = '$sha' ] && [ -f '$T/x1/models--test-org--xet-model/blobs/$sha' ]"
check "xet: the snapshot's bytes hash to that sha256" bash -c "
	d='$T/x1/models--test-org--xet-model'
	[ \"\$(sha256sum < \$d/snapshots/\$(cat \$d/refs/main)/model.safetensors | cut -c1-64)\" = '$sha' ]"
check "xet: the expired bridge signature was re-resolved (retry event)" \
	grep -q '"event":"retry".*expired' "$T/x1.jsonl"
check "xet: ranged requests went to the signed bridge URL" \
	bash -c "grep -q 'cas-bridge.xethub/xet-bridge-us/' '$T/stub.log'"
check "xet: fetched about the size once (re-resolve kept the offset)" python3 -c "
import json
d=[json.loads(l) for l in open('$T/x1.jsonl') if '\"done\"' in l][-1]
assert d['bytes_fetched'] <= 41943040 * 1.05, d"

# A bridge that sends no Content-Length (chunked) and no ETag.
faults '{"rules":[{"match":"/cas-bridge.xethub/","kind":"no_content_length","mode":"chunked"}]}'
pull --repo test-org/xet-model --source hf --cache-dir "$T/x2" --include model.safetensors \
	--json >"$T/x2.jsonl" 2>"$T/x2.err"
RC=$?
faults '{}'
check "xet: a bridge reply without Content-Length is accepted when bytes and size agree" \
	bash -c "[ $RC -eq 0 ] && [ \"\$(sha256sum < '$T/x2/models--test-org--xet-model/blobs/$sha' | cut -c1-64)\" = '$sha' ]"

# --- a file over 50 GB: the plan, in 64 bits --------------------------------
"$AGENT" plan --repo test-org/xet-model --source hf --endpoint "$URL" --json >"$T/huge.json" 2>"$T/huge.err"
check "huge: the plan lists the 50 GiB file with its exact size" python3 -c "
import json
d=json.load(open('$T/huge.json'))
f=[x for x in d['files'] if x['path']=='huge.safetensors'][0]
assert f['size']==53687091200, f
assert d['bytes_total']==53687091200+41943040+$(stub_size test-org/xet-model config.json), d['bytes_total']"
# The free-space check sees it too: a pull into a small filesystem stops
# before the first byte with exit 4, naming the need.
mkdir -p "$T/small"
if mount -t tmpfs -o size=64m tmpfs "$T/small" 2>/dev/null; then
	pull --repo test-org/xet-model --source hf --cache-dir "$T/small/c" --include huge.safetensors \
		>"$T/huge-pull.out" 2>"$T/huge-pull.err"
	RC=$?
	check "huge: no space for 50 GiB is exit 4 before any download" \
		bash -c "[ $RC -eq 4 ] && grep -q '53687091200 bytes' '$T/huge-pull.err' && [ -z \"\$(find '$T/small/c' -name '*.incomplete' -size +0)\" ]"
else
	echo "ok - huge: free-space check # SKIP cannot mount a tmpfs"
fi

# --- ModelScope: a paged dataset ---------------------------------------------
reset_stats
pull --repo test-org/ms-dataset --dataset --source modelscope --cache-dir "$T/d1" \
	--json >"$T/d1.jsonl" 2>"$T/d1.err"
RC=$?
check "modelscope dataset: the pull ends ok" test "$RC" -eq 0
check "modelscope dataset: all 451 files, each with its listed Sha256, in the HF layout" python3 -c "
import hashlib, json, os, urllib.request
repos = json.load(urllib.request.urlopen('$URL/_stub/repos'))
r = [x for x in repos if x['id'] == 'test-org/ms-dataset' and x['type'] == 'dataset'][0]
d = '$T/d1/datasets--test-org--ms-dataset'
snap = os.path.join(d, 'snapshots', open(os.path.join(d, 'refs', 'main')).read().strip())
assert len(r['files']) == 451, len(r['files'])
for f in r['files']:
    p = os.path.join(snap, f['path'])
    assert os.path.islink(p), p
    assert os.path.basename(os.readlink(p)) == f['sha256'], p
    assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == f['sha256'], p
n = sum(len(fs) for _, _, fs in os.walk(snap))
assert n == 451, n"
check "modelscope dataset: the tree was read in pages of 200 (3 pages)" \
	bash -c "grep 'ms-dataset/repo/tree\"' '$T/stub.log' | grep -c 'PageNumber=' | grep -qx 3 && grep -q 'PageNumber=3&PageSize=200' '$T/stub.log'"
check "modelscope dataset: downloads use /api/v1/datasets/{id}/repo?FilePath=" \
	grep -q '"path": "/api/v1/datasets/test-org/ms-dataset/repo", "query": "Revision=master&FilePath=data%2Ftrain.bin"' "$T/stub.log"

# A wrong Sha256 fails the file (it is verified, not trusted).
faults '{"rules":[{"match":"/api/v1/datasets/test-org/ms-dataset/repo","query":"FilePath=data","kind":"corrupt"}]}'
pull --repo test-org/ms-dataset --dataset --source modelscope --cache-dir "$T/d2" \
	--include 'data/*' --retries 1 --json >"$T/d2.jsonl" 2>"$T/d2.err"
RC=$?
faults '{}'
check "modelscope: bytes that miss the listed Sha256 fail the pull (exit 1), nothing linked" \
	bash -c "[ $RC -eq 1 ] && [ -z \"\$(snapshot_files '$T/d2')\" ]"

# --- ModelScope: the cookie token --------------------------------------------
pull --repo test-org/ms-private --source modelscope --cache-dir "$T/p0" >"$T/p0.out" 2>"$T/p0.err"
RC=$?
check "modelscope private: without MODELSCOPE_API_TOKEN exit 3, naming the variable" \
	bash -c "[ $RC -eq 3 ] && grep -q MODELSCOPE_API_TOKEN '$T/p0.err'"
MODELSCOPE_API_TOKEN=hf_testtoken pull --repo test-org/ms-private --source modelscope \
	--cache-dir "$T/p1" --json >"$T/p1.jsonl" 2>"$T/p1.err"
RC=$?
check "modelscope private: the token as cookie m_session_id lists and downloads" test "$RC" -eq 0
check "modelscope private: the token is in no event or message" \
	bash -c "! grep -q hf_testtoken '$T/p1.jsonl' '$T/p1.err'"

# --- ModelScope: another id than the HF one -------------------------------------
pull --repo test-org/hf-name --modelscope-repo ms-org/ms-name --source modelscope \
	--cache-dir "$T/m1" --json >"$T/m1.jsonl" 2>"$T/m1.err"
RC=$?
check "--modelscope-repo: lists and fetches ms-org/ms-name, lands as models--test-org--hf-name" \
	bash -c "[ $RC -eq 0 ] && [ -s '$T/m1/models--test-org--hf-name/refs/main' ] && grep -q '\"/api/v1/models/ms-org/ms-name/repo\"' '$T/stub.log' && [ \$(snapshot_files '$T/m1' | wc -l) -eq 2 ]"

# --- auto: two sources where the sha256 agree ----------------------------------
"$AGENT" plan --repo test-org/differ --source auto --endpoint "$URL" --ms-endpoint "$URL" \
	--json >/dev/null 2>&1
pull --repo test-org/differ --cache-dir "$T/a1" --source auto --json >"$T/a1.jsonl" 2>"$T/a1.err"
RC=$?
check "auto: pulls a repo on both hubs" test "$RC" -eq 0
check "auto: a source event pairs the file with the same sha256 on both (1 file)" \
	grep -q '"event":"source".*"to":"hf+modelscope".*"files":1' "$T/a1.jsonl"
check "auto: a source event keeps one source where ModelScope gives no sha256 (1 file)" \
	grep -q '"event":"source".*"reason":"sha256 differs.*"files":1' "$T/a1.jsonl"

# --- the ladder: huggingface.co (a second stand-in on 127.0.0.3) -------------
# It has the mirror's repos plus one that only it has; the agent reaches
# it only through the proxy (tinyproxy on 127.0.0.1), nothing else does.
cat >"$T/up-spec.json" <<'JSON'
{"include_defaults": true,
 "models": {"test-org/upstream-only": {"revision": "main",
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 20971520, "lfs": true}]}}}
JSON
python3 "$STUB" --host 127.0.0.3 --port 0 --port-file "$T/up.port" --repos "$T/up-spec.json" \
	--log "$T/up.log" >"$T/up.out" 2>&1 &
echo $! >"$T/upstub.pid"
wait_for 20 test -s "$T/up.port" || { echo "Bail out! upstream stand-in did not start"; exit 1; }
UP=http://127.0.0.3:$(cat "$T/up.port")
wait_for 10 curl -sf --noproxy '*' "$UP/_stub/health" -o /dev/null
chmod 755 "$T"	# tinyproxy runs as nobody when we are root: its log is below
if ! "$HERE/proxies.sh" start "$T/px" >"$T/px.out" 2>&1; then
	echo "Bail out! proxies.sh start"; cat "$T/px.out"; exit 1
fi
trap '"$HERE/proxies.sh" stop "$T/px" >/dev/null 2>&1; cleanup' EXIT
# shellcheck disable=SC1091
. "$T/px/proxies.env"

pull --repo test-org/upstream-only --cache-dir "$T/u0" >"$T/u0.out" 2>"$T/u0.err"
RC=$?
check "ladder: only on huggingface.co and no proxy: exit 3 naming --via-laptop-proxy" \
	bash -c "[ $RC -eq 3 ] && grep -q -- '--via-laptop-proxy' '$T/u0.err' && grep -q -- '--proxy' '$T/u0.err'"

# An inherited proxy in the environment must not carry mirror/ModelScope
# traffic: point it at nothing; the pull works only if it is ignored.
https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
	pull --repo test-org/upstream-only --cache-dir "$T/u1" --upstream-endpoint "$UP" \
	--proxy "$HTTP_PROXY_URL" --json >"$T/u1.jsonl" 2>"$T/u1.err"
RC=$?
check "ladder: a repo only upstream arrives through the proxy" bash -c "[ $RC -eq 0 ] && [ \$(snapshot_files '$T/u1' | wc -l) -eq 2 ]"
check "ladder: a source event says it climbed to huggingface" \
	grep -q '"event":"source".*"to":"huggingface"' "$T/u1.jsonl"
check "ladder: the proxy's log shows the upstream requests" grep -q "127.0.0.3:$(cat "$T/up.port")" "$HTTP_PROXY_LOG"
check "ladder: no mirror or ModelScope request went through the proxy" \
	bash -c "! grep -q '127.0.0.1:$(cat "$T/port")' '$HTTP_PROXY_LOG'"
check "ladder: the mirror still got its (unproxied) listing requests" \
	grep -q '"path": "/api/models/test-org/upstream-only/revision/main"' "$T/stub.log"
check "ladder: the proxy URL is in no event" bash -c "! grep -qF '$HTTP_PROXY_URL' '$T/u1.jsonl'"

# One file the mirror 404s goes up alone; the rest come from the mirror.
: >"$T/up.log"
faults '{"rules":[{"match":"*/resolve/*/model-00002-of-00002.safetensors","kind":"status","code":404}]}'
pull --repo test-org/tiny-model --cache-dir "$T/u2" --upstream-endpoint "$UP" \
	--proxy "$SOCKS_PROXY_URL" --ms-endpoint http://127.0.0.1:9 --retries 1 \
	--json >"$T/u2.jsonl" 2>"$T/u2.err"
RC=$?
faults '{}'
check "ladder: the pull with a file the mirror lacks ends ok (socks5h proxy)" test "$RC" -eq 0
check "ladder: the snapshot is whole and right" check_snapshot "$T/u2" test-org/tiny-model
check "ladder: only that file was fetched upstream" bash -c "
	grep '/resolve/' '$T/up.log' | grep -q 'model-00002-of-00002' &&
	! grep '/resolve/' '$T/up.log' | grep -v 'model-00002-of-00002' | grep -q resolve"
check "ladder: --source huggingface with no proxy goes straight there" \
	pull --repo test-org/upstream-only --cache-dir "$T/u3" --source huggingface --upstream-endpoint "$UP"

# The laptop goes away mid-file: the proxied file waits, visibly, and
# finishes once the proxy is back.  The "forward" is a small TCP relay on
# a fixed port in front of tinyproxy, as the SSH remote forward would be.
RELAY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
relay() {
	python3 - "$RELAY_PORT" "$HTTP_PROXY_PORT" <<'PY' &
import socket, sys, threading
lp, tp = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lp)); ls.listen(64)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    for s in (a, b):
        try: s.close()
        except OSError: pass
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", tp))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
	echo $! >"$T/relay.pid"
}
relay
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RELAY_PORT"
curl -sf --noproxy '*' -X POST -d '{"conn_rate_bps": 2000000}' "$UP/_stub/faults" >/dev/null
"$AGENT" pull --repo test-org/upstream-only --endpoint "$URL" --modelscope-endpoint "$URL" \
	--cache-dir "$T/u4" --upstream-endpoint "$UP" --proxy "http://127.0.0.1:$RELAY_PORT" \
	-x 2 --stall-timeout 2 --job-dir "$T/job4" --detach >/dev/null 2>"$T/u4.err"
wait_for 30 bash -c "grep -q '\"event\":\"progress\"' '$T/job4/events.jsonl'"
kill "$(cat "$T/relay.pid")"; rm -f "$T/relay.pid"
check "proxy gone: the job shows waiting 'laptop proxy gone'" wait_for 60 bash -c "
	grep -q '\"event\":\"waiting\".*laptop proxy gone' '$T/job4/events.jsonl' &&
	grep -q '\"state\": *\"waiting\"' '$T/job4/state.json'"
check "proxy gone: the job is still alive" bash -c "! grep -q '\"event\":\"done\"' '$T/job4/events.jsonl'"
relay
check "proxy back: the job finishes" wait_for 120 bash -c "grep -q '\"event\":\"done\".*\"status\":\"ok\"' '$T/job4/events.jsonl'"
check "proxy back: it continued from the bytes on disk (fetched / size <= 1.02)" python3 -c "
import json
d=[json.loads(l) for l in open('$T/job4/events.jsonl') if '\"done\"' in l][-1]
assert d['bytes_fetched'] <= 1.02 * (20971520 + $(curl -sf --noproxy '*' "$UP/_stub/repos" | python3 -c 'import json,sys; print([f["size"] for r in json.load(sys.stdin) if r["id"]=="test-org/upstream-only" for f in r["files"] if f["path"]=="config.json"][0])')), d"
[ -f "$T/relay.pid" ] && kill "$(cat "$T/relay.pid")" 2>/dev/null

finish
