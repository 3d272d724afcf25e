#!/usr/bin/env bash
# cnorch-agent pull against a misbehaving hub: stalls, drops, 5xx, 429,
# corruption once and for good, wrong lengths, a server ignoring Range,
# expiring CDN URLs, a foreign "next" link, traversal listings, garbage
# JSON, gated repos, and --source auto falling back to ModelScope.
. "$(dirname "$0")/agent_lib.sh"

start_stub
REPO=test-org/tiny-model
BIG=model-00001-of-00002.safetensors	# 3 MiB, LFS
n=0

# run NAME FAULTS [ARGS...]: a fresh cache, the fault config posted, one
# pull with short timeouts; leaves $C, $EV (events), $OUT, $RC.  NAME only
# labels the call.
run() {
	local cfg=$2
	shift 2
	n=$((n + 1))
	C=$T/c$n
	EV=$T/ev$n.jsonl
	OUT=$T/out$n
	faults "$cfg"
	reset_stats
	pull --repo "$REPO" --cache-dir "$C" --source hf --json \
		--stall-timeout 2 --retries 4 "$@" >"$EV" 2>"$OUT"
	RC=$?
	faults '{"rules":[]}'
}
# expect_ok NAME: the last run succeeded with every hash right.
expect_ok() {
	if [ "$RC" -eq 0 ] && check_snapshot "$C" "$REPO" >"$OUT.chk" 2>&1; then
		ok "$1"
	else
		notok "$1 (rc $RC)" "$OUT" "$OUT.chk"
	fi
}
size=$(stub_size $REPO $BIG)

# --- stalls, drops, 5xx ------------------------------------------------------
run stall '{"rules":[{"match":"/cdn/","kind":"stall","after_bytes":1000000,"first":1}]}' -x 1
expect_ok "a stalled connection is abandoned and resumed"
check "stall event names path and offset" grep -q '"event":"stall","path":"model-0000[12]-of-00002.safetensors","offset":1000000' "$EV"
sent=$(stub_stat 'sum(v["bytes"] for k, v in d["paths"].items() if "/cdn/" in k)')
# The stalled request's 1 MB plus the resumed rest of one file (2 MiB
# other LFS file too): nothing fetched twice.
check "stall resumed at its offset, nothing refetched ($sent)" \
	python3 -c "assert $sent <= 1.05 * ($size + (2 << 20))"

run drop '{"rules":[{"match":"/cdn/","kind":"drop","after_bytes":300000,"first":3}]}'
expect_ok "dropped connections are retried from their offset"
check "retry events for the drops" test "$(events "$EV" retry)" -ge 1

run rst '{"rules":[{"match":"/cdn/","kind":"drop","after_bytes":200000,"rst":true,"first":2}]}'
expect_ok "connection resets are retried"

run 503 '{"rules":[{"match":"/resolve/","kind":"status","code":503,"first":3}]}'
expect_ok "503s are retried with backoff"
check "retry events say HTTP 503" grep -q '"reason":"HTTP 503"' "$EV"

run 429 '{"rules":[{"match":"/resolve/","kind":"status","code":429,"retry_after":1,"first":1}]}' -j 1
expect_ok "429 with Retry-After is waited out"
check "the 429 retry waited at least Retry-After" python3 -c "
import json
d = [json.loads(l) for l in open('$EV') if '\"HTTP 429\"' in l]
assert d and d[0]['delay_s'] >= 1, d"

# --- bad bytes -----------------------------------------------------------------
run corrupt1 '{"rules":[{"match":"/cdn/","kind":"corrupt","at":12345,"first":1}]}'
expect_ok "corruption once: detected, re-downloaded, correct"
check "the mismatch was reported as a retry" grep -q 'sha256 mismatch' "$EV"

run corrupt '{"rules":[{"match":"'"$(curl -sf "$URL/_stub/repos" | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin) if x["id"]=="test-org/tiny-model"][0]
print([f["sha256"] for f in r["files"] if f["path"]=="model-00001-of-00002.safetensors"][0])')"'","kind":"corrupt","at":777}]}'
if [ "$RC" -eq 1 ]; then ok "permanent corruption exits 1"
else notok "permanent corruption exits 1 (rc $RC)" "$OUT"; fi
check "the error event names the file" grep -q '"event":"error","path":"'$BIG'".*sha256 mismatch' "$EV"
check "the stderr/error message names the file" grep -q "$BIG" "$EV"
check "the corrupt file is nowhere under snapshots/" bash -c \
	"! find '$C' -path '*/snapshots/*' -name '$BIG' | grep -q ."
check "its bad data is deleted, no blob kept" bash -c \
	"! find '$C' -path '*/blobs/*' -size +2M | grep -q ."
check "the other files still landed" test -L "$(echo "$C"/models--test-org--tiny-model/snapshots/*/config.json)"

run wronglen '{"rules":[{"match":"/cdn/","kind":"wrong_length","first":1}]}'
expect_ok "a wrong Content-Length is refused and retried"

run norange '{"rules":[{"match":"/cdn/","kind":"ignore_range"}]}' -x 4 -k 1M
expect_ok "a server ignoring Range still gives correct files"
check "it was noticed" grep -q 'ignores Range' "$EV"

# Expired signed URL: the first CDN request is cut after 1 MB at 1 MB/s,
# by which time its URL (valid 1 s) has expired; the agent must go back
# to /resolve/ for a new one and keep the first MB.
run expire '{"cdn_expire_after_s":1,"rules":[{"match":"/cdn/","kind":"rate","bps":1000000,"first":1},{"match":"/cdn/","kind":"drop","after_bytes":1500000,"first":1}]}' -x 1 -j 1
expect_ok "an expired CDN URL is renewed through /resolve/"
check "the CDN said 403 at least once" test "$(stub_stat 'd["by_status"].get("403", 0)')" -ge 1

# --- listings --------------------------------------------------------------------
run foreign '{"tree_page_size":2,"link_foreign_host":true}'
expect_ok "a paginated tree whose next link names huggingface.co"

run traversal '{"rules":[{"match":"/api/","kind":"traversal"}]}'
if [ "$RC" -eq 6 ] && ! find "$T" -name evil | grep -q .; then
	ok "a traversal listing is refused (exit 6), nothing written"
else
	notok "a traversal listing is refused (exit 6) (rc $RC)" "$OUT"
fi

run garbage '{"rules":[{"match":"/api/","kind":"garbage_json"}]}'
if [ "$RC" -eq 6 ]; then ok "garbage JSON is refused (exit 6)"
else notok "garbage JSON is refused (exit 6) (rc $RC)" "$OUT"; fi

# --- access ----------------------------------------------------------------------
REPO=test-org/gated-model
run gated '{}'
if [ "$RC" -eq 3 ] && grep -qi "token" "$EV" "$OUT"; then
	ok "a gated repo without a token exits 3 and says how"
else
	notok "a gated repo without a token exits 3 and says how (rc $RC)" "$OUT" "$EV"
fi
HF_TOKEN=hf_testtoken run gated-token '{}' --allow-http-token
expect_ok "a gated repo with HF_TOKEN"
check "the token is in no event" bash -c "! grep -q hf_testtoken '$EV' '$OUT'"
umask 077
printf 'hf_testtoken\n' >"$T/token"
run gated-file '{}' --token-file "$T/token" --allow-http-token
expect_ok "a gated repo with --token-file"

# --- auto falls back to ModelScope -------------------------------------------------
REPO=test-org/ms-only
n=$((n + 1))
C=$T/c$n
pull --repo "$REPO" --cache-dir "$C" --source auto --json >"$T/auto.jsonl" 2>"$T/auto.err"
RC=$?
if [ "$RC" -eq 0 ] && grep -q '"event":"source"' "$T/auto.jsonl"; then
	ok "auto: a repo only on ModelScope is pulled from there, with a source event"
else
	notok "auto: a repo only on ModelScope (rc $RC)" "$T/auto.err" "$T/auto.jsonl"
fi
check "auto: the HF layout with sha256-named LFS blob and refs/main" bash -c "
	sha=\$(curl -sf '$URL/_stub/repos' | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin) if x[\"id\"]==\"test-org/ms-only\"][0]
print([f[\"sha256\"] for f in r[\"files\"] if f[\"path\"]==\"model.safetensors\"][0])')
	d='$C'/models--test-org--ms-only
	[ -s \$d/refs/main ] &&
	[ \"\$(sha256sum < \$d/snapshots/\$(cat \$d/refs/main)/model.safetensors | cut -c1-64)\" = \"\$sha\" ] &&
	[ -f \$d/blobs/\$sha ]"

# HF keeps failing mid-download: auto moves to ModelScope.
REPO=test-org/tiny-model
n=$((n + 1))
C=$T/c$n
faults '{"rules":[{"match":"/cdn/","kind":"status","code":503}]}'
pull --repo "$REPO" --cache-dir "$C" --source auto --json --retries 2 \
	>"$T/auto2.jsonl" 2>"$T/auto2.err"
RC=$?
faults '{"rules":[]}'
if [ "$RC" -eq 0 ] && grep -q '"event":"source".*"to":"modelscope"' "$T/auto2.jsonl"; then
	ok "auto: a mirror that keeps failing is left for ModelScope"
else
	notok "auto: a mirror that keeps failing is left for ModelScope (rc $RC)" \
		"$T/auto2.err" "$T/auto2.jsonl"
fi

finish
