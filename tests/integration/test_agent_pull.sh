#!/usr/bin/env bash
# cnorch-agent pull against the hub stand-in: HF cache layout with every
# hash right, --local-dir, datasets, filters, the repo lock, and kill -9
# in the middle of a big file followed by a resuming re-run.
. "$(dirname "$0")/agent_lib.sh"

cat >"$T/repos.json" <<'EOF'
{"include_defaults": true,
 "models": {"test-org/mid-model": {"revision": "main", "files": [
	{"path": "config.json"},
	{"path": "model.safetensors", "size": 134217728, "lfs": true}]},
 "test-org/twins": {"revision": "main", "files": [
	{"path": "a/__init__.py", "size": 0},
	{"path": "b/__init__.py", "size": 0},
	{"path": "c/__init__.py", "size": 0},
	{"path": "config.json"}]},
 "test-org/multi-model": {"revision": "main", "files": [
	{"path": "model.safetensors", "size": 8388608, "lfs": true}]}}}
EOF
start_stub --repos "$T/repos.json"

# --- a tiny repo lands in the HF layout -----------------------------------
C=$T/hub
if pull --repo test-org/tiny-model --cache-dir "$C" --source hf --json \
	>"$T/ev.jsonl" 2>"$T/err"; then
	ok "pull tiny-model exits 0"
else
	notok "pull tiny-model exits 0" "$T/err" "$T/ev.jsonl"
fi
check "every file linked relatively to its blob with the right hash" \
	check_snapshot "$C" test-org/tiny-model
check "events: plan, file_done x6, done ok" bash -c "
	grep -q '\"event\":\"plan\".*\"files\":6' '$T/ev.jsonl' &&
	[ \$(grep -c '\"event\":\"file_done\"' '$T/ev.jsonl') -eq 6 ] &&
	grep -q '\"event\":\"done\",\"status\":\"ok\"' '$T/ev.jsonl'"
check "every event line is JSON with ts, job, event" python3 -c "
import json, sys
for l in open('$T/ev.jsonl'):
    o = json.loads(l)
    assert isinstance(o['ts'], float) and 'job' in o and 'event' in o, l"
check "no partial or control files left" bash -c \
	"! find '$C' -name '*.incomplete*' | grep -q ."
check "no Referer sent" test "$(stub_stat 'd["referer_seen"]')" = False
check "verify re-hashes the snapshot" "$AGENT" verify --repo test-org/tiny-model \
	--cache-dir "$C"

if python3 -c "import huggingface_hub" 2>/dev/null; then
	check "huggingface_hub finds it offline" env HF_HUB_OFFLINE=1 python3 -c "
from huggingface_hub import hf_hub_download
p = hf_hub_download('test-org/tiny-model', 'sub/dir/extra.txt',
    cache_dir='$C', local_files_only=True)
assert open(p).read()"
else
	ok "huggingface_hub finds it offline # SKIP huggingface_hub not installed"
fi

# --- a second run fetches nothing ------------------------------------------
reset_stats
check "re-run of a complete repo exits 0" pull --repo test-org/tiny-model \
	--cache-dir "$C" --source hf
check "re-run downloads no file" test "$(stub_stat 'd["cdn_requests"]')" = 0

# --- verify notices a damaged blob ----------------------------------------
blob=$(readlink -f "$C"/models--test-org--tiny-model/snapshots/*/model-00002-of-00002.safetensors)
cp "$blob" "$T/blob.bak"
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
"$AGENT" verify --repo test-org/tiny-model --cache-dir "$C" >"$T/verify.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'BAD.*model-00002-of-00002' "$T/verify.out"; then
	ok "verify names a damaged file and exits 1"
else
	notok "verify names a damaged file and exits 1 (rc $rc)" "$T/verify.out"
fi
cp "$T/blob.bak" "$blob"

# --- identical files (same blob) in one repo ----------------------------------
check "three identical empty files share one blob" bash -c "
	'$AGENT' pull --endpoint '$URL' --repo test-org/twins --cache-dir '$C' \
		--source hf -j 4 >/dev/null 2>&1"
check "twins: every file linked and right" check_snapshot "$C" test-org/twins

# --- local dir, dataset, filters --------------------------------------------
L=$T/local
check "pull --local-dir exits 0" pull --repo test-org/tiny-model --local-dir "$L" \
	--source hf
check "local dir holds plain files with the right hashes" bash -c "
	cd '$L' && [ ! -L config.json ] && [ -f sub/dir/extra.txt ] &&
	curl -sf '$URL/_stub/repos' | python3 -c '
import hashlib, json, sys
r = [x for x in json.load(sys.stdin) if x[\"id\"] == \"test-org/tiny-model\"][0]
for f in r[\"files\"]:
    assert hashlib.sha256(open(f[\"path\"], \"rb\").read()).hexdigest() == f[\"sha256\"], f[\"path\"]'"
check "verify --local-dir" "$AGENT" verify --repo test-org/tiny-model --local-dir "$L"

check "dataset lands in datasets--org--name" bash -c "
	'$AGENT' pull --endpoint '$URL' --repo test-org/tiny-dataset --repo-type dataset \
		--cache-dir '$C' --source hf >/dev/null &&
	[ -f '$C'/datasets--test-org--tiny-dataset/snapshots/*/data/train.jsonl ]"
check "dataset hashes" check_snapshot "$C" test-org/tiny-dataset dataset

F=$T/filtered
pull --repo test-org/tiny-model --cache-dir "$F" --source hf \
	--include '*.json' --exclude 'tokenizer*' >/dev/null 2>&1
got=$(snapshot_files "$F" | tr '\n' ' ')
if [ "$got" = "config.json " ]; then ok "--include/--exclude filter"
else notok "--include/--exclude filter (got '$got')"; fi

# --- multi-connection on one file -------------------------------------------
# Throttled per connection (as CN mirrors do), so the agent opens more.
reset_stats
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":2000000}]}'
M=$T/multi
check "-x 4 -k 1M pulls a throttled 8 MiB file over parallel ranges" bash -c "
	'$AGENT' pull --endpoint '$URL' --repo test-org/multi-model --cache-dir '$M' \
		--source hf -x 4 -k 1M >/dev/null &&
	[ \$(curl -sf '$URL/_stub/stats' | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(len(v[\"ranges\"]) for k, v in d[\"paths\"].items() if \"/cdn/\" in k))') -ge 4 ]"
check "parallel connections were open at once" \
	test "$(stub_stat 'd["max_in_flight"]')" -ge 3
faults '{"rules":[]}'
check "multi-connection result verifies" check_snapshot "$M" test-org/multi-model

# --- the lock ---------------------------------------------------------------
mkdir -p "$C/models--test-org--tiny-model/.locks"
flock "$C/models--test-org--tiny-model/.locks/cnorch.lock" sleep 5 &
fpid=$!
wait_for 5 bash -c "! flock -n '$C/models--test-org--tiny-model/.locks/cnorch.lock' true"
pull --repo test-org/tiny-model --cache-dir "$C" --source hf >"$T/lock.out" 2>&1
rc=$?
kill $fpid 2>/dev/null
wait $fpid 2>/dev/null
if [ $rc -eq 5 ] && grep -q "locked by another" "$T/lock.out"; then
	ok "a locked repo dir exits 5 with a clear message"
else
	notok "a locked repo dir exits 5 with a clear message (rc $rc)" "$T/lock.out"
fi

# --- free space is checked before anything is fetched ------------------------
S=$T/small
mkdir -p "$S"
if mount -t tmpfs -o size=2m tmpfs "$S" 2>/dev/null; then
	reset_stats
	pull --repo test-org/tiny-model --cache-dir "$S" --source hf >"$T/space.out" 2>&1
	rc=$?
	cdn=$(stub_stat 'd["cdn_requests"]')
	umount "$S"
	if [ $rc -eq 4 ] && grep -q "not enough space.*need.*free" "$T/space.out" &&
		[ "$cdn" = 0 ]; then
		ok "too little space fails early with both numbers (exit 4)"
	else
		notok "too little space fails early with both numbers (exit 4, rc $rc)" "$T/space.out"
	fi
else
	ok "too little space fails early # SKIP cannot mount a small tmpfs"
fi

# --- bad usage, tokens never on argv ----------------------------------------
"$AGENT" pull --cache-dir "$C" >/dev/null 2>&1
check "missing --repo is a usage error (2)" test $? -eq 2
"$AGENT" pull --repo a/b --token hf_x --cache-dir "$C" >/dev/null 2>&1
check "there is no --token option (2)" test $? -eq 2
"$AGENT" pull --repo ../../etc --cache-dir "$C" >/dev/null 2>&1
check "an invalid --repo is a usage error (2), not a bad hub (6)" test $? -eq 2
"$AGENT" pull --repo a/b --revision 'x;rm' --cache-dir "$C" >/dev/null 2>&1
check "an invalid --revision is a usage error (2)" test $? -eq 2
"$AGENT" pull --repo a/b --exclude "$(printf 'a\nb')" --cache-dir "$C" >/dev/null 2>&1
check "a glob with a newline is a usage error (2)" test $? -eq 2

# --- kill -9 in the middle of a big file, then resume -----------------------
R=$T/resume
size=$(stub_size test-org/mid-model model.safetensors)
reset_stats
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":2000000}]}'
"$AGENT" pull --endpoint "$URL" --repo test-org/mid-model --cache-dir "$R" \
	--source hf -x 4 -k 4M >"$T/r1.out" 2>&1 &
apid=$!
echo $apid >"$T/agent1.pid"
# Until the control file records at least 8 MiB.
wait_for 30 bash -c "cat '$R'/models--test-org--mid-model/blobs/*.incomplete.cnorch 2>/dev/null |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert sum(s[2] for s in d[\"segs\"]) >= 24<<20'"
kill -9 $apid
wait $apid 2>/dev/null
rm -f "$T/agent1.pid"
check "kill -9 leaves partial data and a control file" bash -c \
	"ls '$R'/models--test-org--mid-model/blobs/*.incomplete.cnorch &&
	 ! ls '$R'/models--test-org--mid-model/snapshots/*/model.safetensors"
b1=$(stub_stat 'd["bytes_sent"]')
faults '{"rules":[]}'
reset_stats
check "re-run after kill -9 completes" pull --repo test-org/mid-model \
	--cache-dir "$R" --source hf -x 4 -k 4M
check "resumed file verifies" check_snapshot "$R" test-org/mid-model
ranged=$(stub_stat 'sum(1 for k, v in d["paths"].items() if "/cdn/" in k for r in v["ranges"] if not r.startswith("bytes=0-"))')
check "the re-run asked for ranges past the start ($ranged)" test "$ranged" -ge 1
b2=$(stub_stat 'd["bytes_sent"]')
check "bytes fetched over both runs <= 1.05 x size ($b1 + $b2 vs $size)" \
	python3 -c "assert $b1 + $b2 <= 1.05 * $size + 65536, ($b1 + $b2) / $size"

finish
