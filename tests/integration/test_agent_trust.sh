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
if [ "$rss4" -lt $((128 * 1024)) ]; then ok "... with the agent under 128 MiB RSS (${rss4} KiB)"
else notok "... with the agent under 128 MiB RSS (${rss4} KiB)"; fi
if [ "$rc4b" = 6 ] && grep -q -- '--max-files' "$T/hub4.out" &&
	grep -q '199999 files' "$T/hub4.out"; then
	ok "one entry past --max-files ends with exit 6 naming the cap"
else notok "one entry past --max-files ends with exit 6 naming the cap (rc $rc4b)" "$T/hub4.out"; fi
if [ "$rss4b" -lt $((128 * 1024)) ]; then ok "... with the agent under 128 MiB RSS (${rss4b} KiB)"
else notok "... with the agent under 128 MiB RSS (${rss4b} KiB)"; fi
check "... and nothing was downloaded" test ! -e "$T/hub4/models--test-org--many/snapshots"
pull --repo test-org/tiny-model --cache-dir "$T/hub4" --source auto --max-bytes 1M \
	>"$T/out4b" 2>&1
rc=$?
if [ $rc -eq 6 ] && grep -q -- '--max-bytes' "$T/out4b"; then
	ok "a listing over --max-bytes ends with exit 6 naming the cap, no fallback"
else notok "a listing over --max-bytes ends with exit 6 naming the cap (rc $rc)" "$T/out4b"; fi
faults '{}'

finish
