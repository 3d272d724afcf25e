#!/usr/bin/env bash
# cnorch-agent cache, verify and gc on a cache the real agent filled from
# the hub stand-in: two revisions (one detached), a corrupted blob, a
# stale and a fresh partial, a pull running while gc looks.
. "$(dirname "$0")/agent_lib.sh"

REPO=test-org/rev-model
# Revision "main": a, b.  Commit v2 (pulled by sha, so no ref names it):
# the same a, and c.  config.json is the same bytes in both.
cat >"$T/repos1.json" <<'EOF'
{"include_defaults": false,
 "models": {"test-org/rev-model": {"revision": "main", "files": [
	{"path": "config.json"},
	{"path": "a.safetensors", "size": 1048576, "lfs": true},
	{"path": "b.safetensors", "size": 2097152, "lfs": true}]},
 "test-org/slow-model": {"revision": "main", "files": [
	{"path": "model.safetensors", "size": 33554432, "lfs": true}]}}}
EOF
cat >"$T/repos2.json" <<'EOF'
{"include_defaults": false,
 "models": {"test-org/rev-model": {"revision": "v2", "files": [
	{"path": "config.json"},
	{"path": "a.safetensors", "size": 1048576, "lfs": true},
	{"path": "c.safetensors", "size": 1572864, "lfs": true}]}}}
EOF
restart_stub() {
	kill "$STUB_PID" 2>/dev/null
	wait "$STUB_PID" 2>/dev/null
	rm -f "$T/port"
	start_stub --repos "$1"
}
# jq-less JSON: py EXPR FILE evaluates EXPR over the lines of FILE as L.
py() { python3 -c "import json,sys; L=[json.loads(l) for l in open(sys.argv[1])]; print($1)" "$2"; }

C=$T/hub
J=$T/jobs
mkdir -p "$J"
start_stub --repos "$T/repos1.json"
check "pull main" pull --repo $REPO --cache-dir "$C" --source hf
SHA1=$(cat "$C/models--test-org--rev-model/refs/main")
restart_stub "$T/repos2.json"
SHA2=$(curl -sf "$URL/_stub/repos" | python3 -c 'import json,sys; print([r["sha"] for r in json.load(sys.stdin) if r["id"] == "test-org/rev-model"][0])')
check "pull the second revision by its commit" pull --repo $REPO \
	--revision "$SHA2" --cache-dir "$C" --source hf
RD=$C/models--test-org--rev-model
check "two snapshots, one ref" bash -c "[ -d '$RD/snapshots/$SHA1' ] &&
	[ -d '$RD/snapshots/$SHA2' ] && [ \$(ls '$RD/refs' | wc -l) = 1 ]"

blob_of() { basename "$(readlink "$RD/snapshots/$1/$2")"; }
size_of() { stat -c %s "$RD/blobs/$(blob_of "$1" "$2")"; }
A=$(size_of "$SHA1" a.safetensors)
B=$(size_of "$SHA1" b.safetensors)
CC=$(size_of "$SHA2" c.safetensors)
CFG=$(size_of "$SHA1" config.json)
check "a and config.json are shared blobs" bash -c "
	[ '$(blob_of "$SHA1" a.safetensors)' = '$(blob_of "$SHA2" a.safetensors)' ] &&
	[ '$(blob_of "$SHA1" config.json)' = '$(blob_of "$SHA2" config.json)' ]"

# A stale partial (3 hours old, with its control file) and a fresh one.
STALE=$(printf 'd%.0s' $(seq 64))
FRESH=$(printf 'e%.0s' $(seq 64))
head -c 4096 /dev/zero >"$RD/blobs/$STALE.incomplete"
head -c 100 /dev/zero >"$RD/blobs/$STALE.incomplete.cnorch"
touch -d '3 hours ago' "$RD/blobs/$STALE.incomplete" "$RD/blobs/$STALE.incomplete.cnorch"
head -c 512 /dev/zero >"$RD/blobs/$FRESH.incomplete"

# --- cache -------------------------------------------------------------------
"$AGENT" cache --cache-dir "$C" --jobs-dir "$J" --json >"$T/cache.jsonl" 2>"$T/cache.err"
check "cache --json exits 0 with only JSON lines on stdout" py 'len(L)' "$T/cache.jsonl"
check "cache: size counts each blob once" test "$(py "[o['size'] for o in L if o.get('repo') == '$REPO'][0]" "$T/cache.jsonl")" = $((A + B + CC + CFG))
check "cache: main -> first commit, second commit detached" test "$(py "[(o['refs'], o['detached']) for o in L if o.get('repo') == '$REPO'][0] == ({'main': '$SHA1'}, ['$SHA2'])" "$T/cache.jsonl")" = True
check "cache: two partials, the stale one about 3 h old" test "$(py "sorted((p['size'], p['age_s'] > 10700) for o in L if o.get('repo') == '$REPO' for p in o['partials'])" "$T/cache.jsonl")" = "[(512, False), (4196, True)]"
check "cache: one disks line with the cache's and /'s free bytes" test "$(py "[sorted(d['role'] for d in o['disks']) for o in L if o['kind'] == 'disks']" "$T/cache.jsonl")" = "[['cache', 'system']]"
check "cache (human) has a table row" bash -c "'$AGENT' cache --cache-dir '$C' | grep -q '^$REPO .*detached'"

# --- verify ------------------------------------------------------------------
check "verify of a sound cache exits 0" "$AGENT" verify --cache-dir "$C"
BB=$RD/blobs/$(blob_of "$SHA1" b.safetensors)
printf 'XXXX' | dd of="$BB" bs=1 seek=1000 conv=notrunc 2>/dev/null
"$AGENT" verify --cache-dir "$C" --json $REPO >"$T/verify.jsonl" 2>"$T/verify.err"
check "verify exits 1 on a corrupted blob" test $? -eq 1
check "verify names the bad file and its revision" test "$(py "[(o['path'], o['commit']) for o in L if o['kind'] == 'bad']" "$T/verify.jsonl")" = "[('b.safetensors', '$SHA1')]"
check "verify reports progress" grep -q '"kind":"progress"' "$T/verify.jsonl"
"$AGENT" verify --cache-dir "$C" --json --repair $REPO >"$T/repair.jsonl" 2>&1
check "verify --repair removes the bad blob" test ! -e "$BB"
REV=$(py "[(r['revision'], r['include']) for o in L if o['kind'] == 'verify' for r in o['repull']]" "$T/repair.jsonl")
check "verify --repair lists exactly the path to re-pull" test "$REV" = "[('main', ['b.safetensors'])]"
restart_stub "$T/repos1.json"
check "re-pulling only that path fixes it" pull --repo $REPO --revision main \
	--include b.safetensors --cache-dir "$C" --source hf
check "only that one file was fetched" bash -c "
	[ \"\$(stub_stat 'sorted(k.rsplit(\"/\", 1)[-1] for k in d[\"paths\"] if \"/resolve/\" in k)')\" = \"['b.safetensors']\" ] &&
	[ \"\$(stub_stat 'd[\"cdn_requests\"]')\" = 1 ]"
check "verify is clean again" "$AGENT" verify --cache-dir "$C" $REPO

# --- gc ----------------------------------------------------------------------
find "$C" | sort >"$T/before"
"$AGENT" gc --cache-dir "$C" --jobs-dir "$J" --revisions --incomplete \
	--older-than 1h --dry-run --json >"$T/dry.jsonl" 2>"$T/dry.err"
check "gc --dry-run exits 0" test $? -eq 0
find "$C" | sort >"$T/after"
check "gc --dry-run removes nothing" cmp "$T/before" "$T/after"
WANT=$((CC + 4196))
check "gc --dry-run: detached-only blob + stale partial" test "$(py "[o['bytes'] for o in L if o['kind'] == 'gc']" "$T/dry.jsonl")" = "[$WANT]"

# The repo lock held (as a pull holds it): skipped, exit 5, nothing removed.
# (held on fd 9 of this shell: nothing outlives the test holding it)
exec 9>"$RD/.locks/cnorch.lock"
flock -n 9
"$AGENT" gc --cache-dir "$C" --jobs-dir "$J" --revisions --repo $REPO >"$T/locked.out" 2>&1
check "gc on a locked repo exits 5" test $? -eq 5
check "and says it skipped it" grep -q "^$REPO: skipped: locked" "$T/locked.out"
check "and removed nothing" test -d "$RD/snapshots/$SHA2"
exec 9>&-

"$AGENT" gc --cache-dir "$C" --jobs-dir "$J" --revisions --incomplete \
	--older-than 1h --repo $REPO --json >"$T/gc.jsonl" 2>"$T/gc.err"
check "gc exits 0" test $? -eq 0
check "gc frees exactly the detached-only blob and the stale partial" test "$(py "[o['bytes'] for o in L if o['kind'] == 'gc']" "$T/gc.jsonl")" = "[$WANT]"
check "the detached snapshot and its own blob are gone" bash -c "
	[ ! -e '$RD/snapshots/$SHA2' ] && [ \$(ls '$RD/blobs' | grep -vc incomplete) = 3 ]"
check "the stale partial and its control file are gone, the fresh one kept" bash -c "
	[ ! -e '$RD/blobs/$STALE.incomplete' ] && [ ! -e '$RD/blobs/$STALE.incomplete.cnorch' ] &&
	[ -e '$RD/blobs/$FRESH.incomplete' ]"
rm -f "$RD/blobs/$FRESH.incomplete"
check "main still verifies" check_snapshot "$C" $REPO
check "gc --older-than with a bad duration exits 2 naming it" bash -c "
	'$AGENT' gc --cache-dir '$C' --incomplete --older-than 3days 2>&1 >/dev/null |
	    grep \"'3days'\" >/dev/null;	# not -q: grep quitting early would SIGPIPE the agent
	[ \${PIPESTATUS[0]} = 2 ]"

# A pull running on another repo of the same cache: gc leaves it alone.
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":2000000}]}'
"$AGENT" pull --endpoint "$URL" --repo test-org/slow-model --cache-dir "$C" \
	--source hf --detach --job-dir "$J/slow" >"$T/slow.out" 2>&1
SD=$C/models--test-org--slow-model
# (the pid for agent_lib's cleanup, should stop fail)
python3 -c "import json; print(json.load(open('$J/slow/state.json'))['pid'])" >"$T/slow.pid"
wait_for 20 bash -c "ls '$SD'/blobs/*.incomplete" >/dev/null
# Partials of any age: only the job protects it.
"$AGENT" gc --cache-dir "$C" --jobs-dir "$J" --incomplete >"$T/busy.out" 2>&1
check "gc skips the repo a job is pulling, and says so" grep -q '^test-org/slow-model: skipped' "$T/busy.out"
check "the running job's partial is still there" bash -c "ls '$SD'/blobs/*.incomplete"
"$AGENT" cache --cache-dir "$C" --jobs-dir "$J" --json >"$T/cache2.jsonl"
check "cache names the last pull job of the repo" test "$(py "[(o['last_job']['id'], o['job_running']) for o in L if o.get('repo') == 'test-org/slow-model']" "$T/cache2.jsonl")" = "[('slow', True)]"
"$AGENT" stop "$J/slow" >/dev/null 2>&1
wait_for 20 flock -n "$SD/.locks/cnorch.lock" true
faults '{"rules":[]}'

"$AGENT" gc --cache-dir "$C" --jobs-dir "$J" --incomplete --json >"$T/after-stop.jsonl" 2>&1
check "once the job is stopped, gc removes its partial" bash -c "! ls '$SD'/blobs/*.incomplete"

if python3 -c "import huggingface_hub" 2>/dev/null; then
	check "huggingface_hub still reads the cache" env HF_HUB_OFFLINE=1 python3 -c "
from huggingface_hub import scan_cache_dir, hf_hub_download
info = scan_cache_dir('$C')
r = [r for r in info.repos if r.repo_id == '$REPO'][0]
assert [x.commit_hash for x in r.revisions] == ['$SHA1'], r.revisions
p = hf_hub_download('$REPO', 'b.safetensors', cache_dir='$C', local_files_only=True)
assert open(p, 'rb').read(1)"
else
	ok "huggingface_hub still reads the cache # SKIP huggingface_hub not installed"
fi

finish
