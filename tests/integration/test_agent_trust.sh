#!/usr/bin/env bash
# cnorch-agent and what it must not trust or leak (issue 10): tokens only
# to the endpoint's origin (https, or http with --allow-http-token), never
# across a redirect to another host; no secret in job files, events or
# stdout; files without a published hash each with their own partial file,
# verified by size; listing caps; honest exits when every source fails;
# the job generation in state.json.  Only 127.0.0.0/8 is contacted (the
# .invalid name fails in the resolver).
. "$(dirname "$0")/agent_lib.sh"

cat >"$T/repos.json" <<'JSON'
{"include_defaults": true,
 "models": {"test-org/many": {"revision": "main", "hf": true,
	"generated": {"count": 200000}, "files": []},
 "test-org/private-ms": {"revision": "main", "hf": false, "modelscope": true,
	"private": true, "files": [{"path": "config.json"},
	{"path": "model.safetensors", "size": 1048576, "lfs": true}]}}}
JSON
start_stub --repos "$T/repos.json"

# rc_of CMD...: runs CMD, prints its exit code.
rc_of() { "$@" >/dev/null 2>&1; echo $?; }

# --- 2. no secret in job files, events, state.json or output ---------------
SECRET=s3cretpw
CURL_EP="http://mirroruser:$SECRET@127.0.0.1:$(cat "$T/port")"
faults '{"rules": [{"kind": "status", "match": "/api/", "code": 503, "first": 1}]}'
CNORCH_HTTP_RETRY_BASE_MS=50 "$AGENT" pull --endpoint "$CURL_EP" --repo test-org/tiny-model \
	--cache-dir "$T/hub2" --source hf --job-dir "$T/jobs/sec1" --json \
	>"$T/out2a" 2>"$T/err2a"
rc=$?
if [ $rc -eq 0 ] && grep -q '"event":"retry"' "$T/out2a"; then
	ok "a pull from a mirror URL with user:pass@ works (and retried once)"
else notok "a pull from a mirror URL with user:pass@ works (rc $rc)" "$T/err2a" "$T/out2a"; fi
faults '{}'
CNORCH_HTTP_RETRY_BASE_MS=50 "$AGENT" pull --endpoint "$CURL_EP" --repo test-org/no-such-repo \
	--cache-dir "$T/hub2" --source hf --job-dir "$T/jobs/sec2" >"$T/out2b" 2>"$T/err2b"
rc=$?
if [ $rc -eq 3 ] && grep -q '\*\*\*@127.0.0.1' "$T/err2b" "$T/jobs/sec2/state.json"; then
	ok "a failing pull names the mirror with its credentials redacted"
else notok "a failing pull names the mirror with its credentials redacted (rc $rc)" "$T/err2b" "$T/jobs/sec2/state.json"; fi
check "job.json keeps the endpoint with ***@" grep -q '"endpoint": "http://\*\*\*@127.0.0.1' "$T/jobs/sec1/job.json"
if grep -rl "$SECRET" "$T/jobs" "$T/out2a" "$T/err2a" "$T/out2b" "$T/err2b" >"$T/leaks2"; then
	notok "the password is in no job file, event, state.json or output" "$T/leaks2"
else ok "the password is in no job file, event, state.json or output"; fi

# --- 5. honest exits: not at the mirror, ModelScope unreachable --------------
# nonexistent.invalid never resolves (RFC 6761); the agent answers that
# itself, so no query leaves the box.
for ms in http://nonexistent.invalid "http://127.0.0.1:1"; do
	python3 - "$AGENT" "$URL" "$ms" "$T/hub5" >"$T/out5" 2>&1 <<'PY'
import subprocess, sys, time
agent, url, ms, cache = sys.argv[1:5]
t0 = time.monotonic()
p = subprocess.run([agent, "pull", "--endpoint", url, "--modelscope-endpoint", ms,
                    "--repo", "test-org/nowhere", "--cache-dir", cache,
                    "--source", "auto"], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, timeout=60)
print("rc=%d elapsed=%.2f" % (p.returncode, time.monotonic() - t0))
print(p.stdout.decode())
PY
	if grep -q '^rc=3 ' "$T/out5" &&
		grep -q "error: repo 'test-org/nowhere' not found at $URL.*; ModelScope fallback: .*${ms#http://}" "$T/out5" &&
		python3 -c "import re,sys; sys.exit(float(re.search(r'elapsed=([0-9.]+)', open(sys.argv[1]).read()).group(1)) >= 5)" "$T/out5"; then
		ok "auto, missing at the mirror, ModelScope $ms unreachable: exit 3 naming both, under 5 s"
	else notok "auto, missing at the mirror, ModelScope $ms unreachable: exit 3 naming both, under 5 s" "$T/out5"; fi
done

# --- 6. the job generation in state.json --------------------------------------
gen() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$1/state.json"; }
check "a job's first run is generation 1" test "$(gen "$T/jobs/sec1")" = 1
"$AGENT" pull --endpoint "$URL" --repo test-org/tiny-model --cache-dir "$T/hub2" \
	--source hf --job-dir "$T/jobs/sec1" >/dev/null 2>&1
check "a relaunch of the same job is generation 2" test "$(gen "$T/jobs/sec1")" = 2
"$AGENT" pull --endpoint "$URL" --repo test-org/tiny-model --cache-dir "$T/hub2" \
	--source hf --job-dir "$T/jobs/sec1" --detach >/dev/null 2>&1
wait_for 20 bash -c "grep -q '\"state\": \"done\"' '$T/jobs/sec1/state.json'"
check "... and a detached relaunch generation 3" test "$(gen "$T/jobs/sec1")" = 3

# --- 3. files without a published hash: own partial file, verified by size --
faults '{"ms_no_sha256": true}'
C=$T/hub3
pull --repo test-org/tiny-model --cache-dir "$C" --source modelscope --json \
	>"$T/ev3.jsonl" 2>"$T/err3"
rc=$?
if [ $rc -eq 0 ]; then ok "ModelScope listing without Sha256: pull exits 0"
else notok "ModelScope listing without Sha256: pull exits 0 (rc $rc)" "$T/err3" "$T/ev3.jsonl"; fi
check "every file_done says verified: size" python3 -c "
import json
ev = [json.loads(l) for l in open('$T/ev3.jsonl')]
fd = [e for e in ev if e['event'] == 'file_done']
assert len(fd) == 6, len(fd)
assert all(e['verified'] == 'size' for e in fd), fd"
check "every file has its own blob with the stub's bytes" bash -c "
curl -sf '$URL/_stub/repos' | python3 -c '
import hashlib, json, os, sys
r = [x for x in json.load(sys.stdin) if x[\"id\"] == \"test-org/tiny-model\"][0]
d = \"$C/models--test-org--tiny-model\"
snap = os.path.join(d, \"snapshots\")
(commit,) = os.listdir(snap)
blobs = set()
for f in r[\"files\"]:
    p = os.path.join(snap, commit, f[\"path\"])
    assert os.path.islink(p), p
    blobs.add(os.path.realpath(p))
    assert hashlib.sha256(open(p, \"rb\").read()).hexdigest() == f[\"sha256\"], p
assert len(blobs) == len(r[\"files\"]), blobs
assert not os.path.exists(os.path.join(d, \"blobs\", \".incomplete\"))
'"
faults '{}'

# --- 4. listing caps --------------------------------------------------------
# AddressSanitizer's shadow memory and quarantine make RSS meaningless.
if ldd "$AGENT" 2>/dev/null | grep -q libasan; then ASAN_AGENT=1; else ASAN_AGENT=; fi
rss_check() {
	if [ -n "$ASAN_AGENT" ]; then
		ok "... with the agent under 128 MiB RSS # SKIP AddressSanitizer build ($1 KiB)"
	elif [ "$1" -lt $((128 * 1024)) ]; then ok "... with the agent under 128 MiB RSS ($1 KiB)"
	else notok "... with the agent under 128 MiB RSS ($1 KiB)"; fi
}
faults '{"tree_page_size": 5000}'
# plan (the pull's planner, printed) and pull one entry past --max-files,
# each with its max RSS.
python3 - "$AGENT" "$URL" "$T/hub4" >"$T/rss4" 2>"$T/err4" <<'PY'
import resource, subprocess, sys
agent, url, cache = sys.argv[1:4]
p = subprocess.run([agent, "plan", "--endpoint", url, "--repo", "test-org/many",
                    "--source", "hf"], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
sys.stderr.write(p.stderr.decode()[-2000:])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
last = p.stdout.decode().splitlines()[-1:] or [""]
print(p.returncode, rss, last[0].split(" ")[0])
q = subprocess.run([agent, "pull", "--endpoint", url, "--repo", "test-org/many",
                    "--source", "hf", "--cache-dir", cache, "--max-files",
                    "199999"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
open(cache + ".out", "wb").write(q.stdout)
print(q.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
{ read -r rc4 rss4 n4; read -r rc4b rss4b; } <"$T/rss4"
if [ "$rc4" = 0 ] && [ "$n4" = 200000 ]; then ok "a 200000-entry listing is planned"
else notok "a 200000-entry listing is planned (rc $rc4, $n4 files)" "$T/err4"; fi
rss_check "$rss4"
if [ "$rc4b" = 6 ] && grep -q -- '--max-files' "$T/hub4.out" &&
	grep -q '199999 files' "$T/hub4.out"; then
	ok "one entry past --max-files ends with exit 6 naming the cap"
else notok "one entry past --max-files ends with exit 6 naming the cap (rc $rc4b)" "$T/hub4.out"; fi
rss_check "$rss4b"
check "... and nothing was downloaded" test ! -e "$T/hub4/models--test-org--many/snapshots"
pull --repo test-org/tiny-model --cache-dir "$T/hub4" --source auto --max-bytes 1M \
	>"$T/out4b" 2>&1
rc=$?
if [ $rc -eq 6 ] && grep -q -- '--max-bytes' "$T/out4b"; then
	ok "a listing over --max-bytes ends with exit 6 naming the cap, no fallback"
else notok "a listing over --max-bytes ends with exit 6 naming the cap (rc $rc)" "$T/out4b"; fi
faults '{}'

# --- 1. tokens scoped to their endpoint's origin -----------------------------
# A second stand-in on 127.0.0.2 (another host) with the same repos: the
# mirror's LFS 302s point at it, and it plays ModelScope.
python3 "$STUB" --host 127.0.0.2 --port 0 --port-file "$T/port2" --log "$T/stub2.log" \
	--repos "$T/repos.json" >"$T/stub2.out" 2>&1 &
echo $! >"$T/stub2.pid"
wait_for 20 test -s "$T/port2" || notok "second stand-in on 127.0.0.2 starts" "$T/stub2.out"
URL2=http://127.0.0.2:$(cat "$T/port2")
wait_for 10 curl -sf "$URL2/_stub/health" -o /dev/null
stat2() { curl -sf "$URL2/_stub/stats" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
reset2() { curl -sf -X POST "$URL2/_stub/reset-stats" >/dev/null; }

faults "{\"cdn_host\": \"127.0.0.2:$(cat "$T/port2")\"}"
reset_stats; reset2
HF_TOKEN=hf_testtoken "$AGENT" pull --endpoint "$URL" --repo test-org/gated-model \
	--cache-dir "$T/hub1a" --source hf >"$T/out1a" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q 'not sending the HF token to http://127.0.0.1' "$T/out1a"; then
	ok "the HF token is not sent over plain http without --allow-http-token"
else notok "the HF token is not sent over plain http without --allow-http-token (rc $rc)" "$T/out1a"; fi
check "... the mirror saw no Authorization" test "$(stub_stat 'd["auth_seen"]')" = False

reset_stats; reset2
HF_TOKEN=hf_testtoken "$AGENT" pull --endpoint "$URL" --repo test-org/gated-model \
	--cache-dir "$T/hub1b" --source hf --allow-http-token >"$T/out1b" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "with --allow-http-token the gated repo is pulled"
else notok "with --allow-http-token the gated repo is pulled (rc $rc)" "$T/out1b"; fi
check "... the mirror got the token" test "$(stub_stat 'd["auth_seen"]')" = True
check "... the LFS file came from 127.0.0.2 through the redirect" \
	test "$(stat2 'd["cdn_requests"] > 0')" = True
check "... and the redirect to 127.0.0.2 did not carry the token" \
	test "$(stat2 'd["auth_seen"]')" = False
faults '{}'

# ModelScope's token: the cookie m_session_id, to the ModelScope origin only.
reset_stats; reset2
: >"$T/stub2.log"; : >"$T/stub.log"
MODELSCOPE_API_TOKEN=hf_testtoken HF_TOKEN=hf_other "$AGENT" pull --endpoint "$URL" \
	--modelscope-endpoint "$URL2" --repo test-org/private-ms --cache-dir "$T/hub1c" \
	--source auto --allow-http-token >"$T/out1c" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "a private ModelScope repo is pulled with MODELSCOPE_API_TOKEN"
else notok "a private ModelScope repo is pulled with MODELSCOPE_API_TOKEN (rc $rc)" "$T/out1c" "$T/stub2.log"; fi
check "... sent as the cookie, never as Bearer, to ModelScope" python3 -c "
import json
recs = [json.loads(l) for l in open('$T/stub2.log')]
assert recs and all(r['cookie'] and not r['auth'] for r in recs), recs[:3]"
check "... and the cookie never went to the HF mirror" python3 -c "
import json
recs = [json.loads(l) for l in open('$T/stub.log')]
assert recs and not any(r.get('cookie') for r in recs), recs[:3]"

# Core dumps off while a token is held.
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":200000}]}'
HF_TOKEN=hf_testtoken "$AGENT" pull --endpoint "$URL" --repo test-org/gated-model \
	--cache-dir "$T/hub1d" --source hf --allow-http-token >/dev/null 2>&1 &
echo $! >"$T/pull1d.pid"
pid=$(cat "$T/pull1d.pid")
if wait_for 10 bash -c "grep '^Max core file size' /proc/$pid/limits | grep -Eq 'size +0 +0 '"; then
	ok "a pull holding a token has core dumps off"
else notok "a pull holding a token has core dumps off" "/proc/$pid/limits"; fi
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
faults '{}'
kill "$(cat "$T/stub2.pid")" 2>/dev/null; wait "$(cat "$T/stub2.pid")" 2>/dev/null

finish
