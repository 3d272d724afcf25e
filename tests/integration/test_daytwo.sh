#!/usr/bin/env bash
# Day two end to end: `cnorch add` from four login-line spellings, then
# provision of an added host; `cache`, `verify [--repair]` and `gc` on a
# box holding two revisions, a corrupted blob and a stale partial; a pull
# that does not fit on the data disk refused with the gc hint.  A real
# sshd box (tests/fixtures/sshd-box.sh) and the hub stand-in on
# 127.0.0.1; what the box holds is read with OpenSSH, not with cnorch.
#
# CNORCH_TEST_KEEP=1 keeps the work directory.
# shellcheck disable=SC1090,SC1091,SC2016
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

work=$(mktemp -d /tmp/cnorch-daytwo.XXXXXX)
chmod 755 "$work"
hub_pid=""
cleanup() {
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$work/box" >/dev/null 2>&1
	[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
	if [ -n "${CNORCH_TEST_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

wait_for() {
	local n=$1 i; shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy no_proxy NO_PROXY
export XDG_STATE_HOME=$work/state

# ---------------------------------------------------------------- hub
# rev-model at "main": config, a, b; at "v2" (served by a restarted
# stand-in, pulled by commit so no ref names it): config, a, c.
cat >"$work/repos1.json" <<'EOF2'
{"include_defaults": false,
 "models": {"test-org/rev-model": {"revision": "main", "files": [
	{"path": "config.json"},
	{"path": "a.safetensors", "size": 1048576, "lfs": true},
	{"path": "b.safetensors", "size": 2097152, "lfs": true}]},
 "test-org/small-model": {"revision": "main", "files": [
	{"path": "model.safetensors", "size": 1048576, "lfs": true}]},
 "test-org/huge-model": {"revision": "main", "files": [
	{"path": "model.safetensors", "size": 3221225472, "lfs": true}]}}}
EOF2
python3 - "$work/repos1.json" "$work/repos2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["models"]["test-org/rev-model"] = {"revision": "v2", "files": [
    {"path": "config.json"},
    {"path": "a.safetensors", "size": 1048576, "lfs": True},
    {"path": "c.safetensors", "size": 1572864, "lfs": True}]}
json.dump(d, open(sys.argv[2], "w"))
PY
hub_port=""
start_hub() {	# SPEC
	rm -f "$work/hub.port"
	python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port "${hub_port:-0}" \
		--repos "$1" --port-file "$work/hub.port" --log "$work/hub.log" \
		2>>"$work/hub.err" &
	hub_pid=$!
	wait_for 100 test -s "$work/hub.port" || { echo "hubstub did not start"; cat "$work/hub.err"; exit 1; }
	hub_port=$(cat "$work/hub.port")
}
stop_hub() { kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null; hub_pid=""; }
start_hub "$work/repos1.json"
HUB=http://127.0.0.1:$hub_port
hubget() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$HUB$1"; }
hubpost() { python3 -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"{}", method="POST"), timeout=10).read()' "$HUB$1"; }

# ---------------------------------------------------------------- box
bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$work/box" >/dev/null 2>"$work/box.err" ||
	{ cat "$work/box.err"; exit 1; }
. "$work/box/box.env"
bssh() {
	ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@"
}

inv=$work/inv/inventory.json
mkdir -p "$work/inv"
cat >"$inv" <<JSON
{ "defaults": { "data_dir": "~/autodl-tmp",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB" } },
  "hosts": {} }
JSON
cn() { "$CNORCH" -i "$inv" "$@"; }
boxfp=$(ssh-keygen -lf - <<<"$BOX_HOSTKEY_PUB" | awk '{print $2}')

# ---------------------------------------------------------------- add
cn add one ssh -p "$BOX_PORT" "$BOX_USER@127.0.0.1" -i "$BOX_KEY" >"$work/add1.out" 2>&1
rc=$?
check "add (ssh -p PORT user@host -i KEY): exit 0 (got $rc)" test "$rc" = 0
check "add shows the host key's SHA256 fingerprint" grep -q "^one: host key ED25519 $boxfp$" "$work/add1.out"
check "add without --accept-new records nothing" test ! -s "$HOME/.ssh/known_hosts"
check "add prints the command that accepts it" grep -q '^    cnorch add one --accept-new$' "$work/add1.out"
cn add one --accept-new >"$work/accept.out" 2>&1
check "add NAME --accept-new: recorded as [127.0.0.1]:PORT" bash -c "
	ssh-keygen -F '[127.0.0.1]:$BOX_PORT' -f '$HOME/.ssh/known_hosts' | grep -q ssh-ed25519"
cn add two "ssh $BOX_USER@127.0.0.1 -p $BOX_PORT -i $BOX_KEY" >"$work/add2.out" 2>&1
check "add (one quoted string, -p after the destination): exit 0" test $? = 0
check "add of a known key says so" grep -q "^two: already known as \[127.0.0.1\]:$BOX_PORT" "$work/add2.out"
cn add three "ssh://$BOX_USER@127.0.0.1:$BOX_PORT" --group fleet >"$work/add3.out" 2>&1
check "add (ssh://user@host:port) into a group: exit 0" test $? = 0
cn add four ssh -o "Port=$BOX_PORT" -l "$BOX_USER" -i "$BOX_KEY" 127.0.0.1 --platform autodl >"$work/add4.out" 2>&1
check "add (-o Port= -l USER, options after LOGIN): exit 0" test $? = 0
check "four hosts with the same address, port and user" python3 - "$inv" "$BOX_PORT" "$BOX_USER" "$BOX_KEY" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["hosts"]
assert sorted(h) == ["four", "one", "three", "two"], h
for n, e in h.items():
    assert e["host"] == "127.0.0.1" and e["port"] == int(sys.argv[2]) and e["user"] == sys.argv[3], (n, e)
for n in ("one", "two", "four"):
    assert h[n]["identity_file"] == sys.argv[4], (n, h[n])
assert h["four"]["platform"] == "autodl", h["four"]
assert d["groups"]["fleet"] == ["three"] or "three" in str(d["groups"]["fleet"]), d["groups"]
assert list(d)[:2] == ["defaults", "hosts"], list(d)
PY
check "the platform is guessed from the host name and said" bash -c "
	'$CNORCH' -i '$work/inv/other.json' add gpu1 ssh -p 41234 root@region-9.autodl.com 2>&1 |
	grep -q '^gpu1: platform autodl (guessed from region-9.autodl.com'"
check "a new inventory is created 0600" test "$(stat -c %a "$work/inv/other.json")" = 600
cn add one ssh -p 1 root@example.org >"$work/dup.out" 2>&1
rc=$?
check "a duplicate name: exit 2 (got $rc), named" bash -c "[ $rc = 2 ] && grep -q \"'one'\" '$work/dup.out'"
cn add bad ssh -p 22x root@example.org >"$work/bad.out" 2>&1
rc=$?
check "a bad login line: exit 2 (got $rc), naming the part" bash -c "[ $rc = 2 ] && grep -q \"'22x'\" '$work/bad.out'"
cn rm-host four >/dev/null 2>&1
check "rm-host takes it out" python3 -c "import json,sys; assert 'four' not in json.load(open(sys.argv[1]))['hosts']" "$inv"
cn rm-host four >/dev/null 2>&1
check "rm-host of an unknown host: exit 2" test $? = 2

cn provision one >"$work/prov.out" 2>&1
rc=$?
check "provision of an added host: exit 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/prov.out"

# ---------------------------------------------------------------- cache
REPO=test-org/rev-model
cn pull one $REPO >"$work/pull1.out" 2>&1
check "pull main" test $? = 0
RD=$BOX_HOME/autodl-tmp/hf/hub/models--test-org--rev-model
SHA1=$(bssh "cat $RD/refs/main")
stop_hub
start_hub "$work/repos2.json"
SHA2=$(hubget /_stub/repos | python3 -c 'import json,sys; print([r["sha"] for r in json.load(sys.stdin) if r["id"] == "test-org/rev-model"][0])')
cn pull one $REPO --revision "$SHA2" --source hf >"$work/pull2.out" 2>&1
check "pull the second revision by its commit" test $? = 0
stop_hub
start_hub "$work/repos1.json"
blob() { bssh "basename \$(readlink $RD/snapshots/$1/$2)"; }
bsize() { bssh "stat -c %s $RD/blobs/$(blob "$1" "$2")"; }
CC=$(bsize "$SHA2" c.safetensors)
STALE=$(printf 'd%.0s' $(seq 64))
bssh "head -c 4096 /dev/zero >$RD/blobs/$STALE.incomplete &&
	head -c 100 /dev/zero >$RD/blobs/$STALE.incomplete.cnorch &&
	touch -d '3 hours ago' $RD/blobs/$STALE.incomplete $RD/blobs/$STALE.incomplete.cnorch"

cn cache one,two >"$work/cache.out" 2>&1
check "cache: exit 0" test $? = 0
check "cache: one row for both hosts, main and the detached revision" grep -Eq "^one,two +$REPO +model +.*main \+1 detached" "$work/cache.out"
check "cache: the data and system disks" grep -Eq '^one,two +data disk .*used, .*free; system disk /: ' "$work/cache.out"
check "cache: the stale partial with its age and the last pull job" grep -Eq "^one: $REPO: 1 partial, 4.*oldest 3.*; last pull job test-org--rev-model@" "$work/cache.out"
cn cache one --json >"$work/cache.jsonl" 2>&1
check "cache --json: lines with host and the agent's fields" python3 - "$work/cache.jsonl" "$SHA1" "$SHA2" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
r = [o for o in L if o.get("kind") == "repo" and o["repo"] == "test-org/rev-model"]
assert len(r) == 1 and r[0]["host"] == "one", L
assert r[0]["refs"] == {"main": sys.argv[2]} and r[0]["detached"] == [sys.argv[3]], r
assert [o["host"] for o in L if o["kind"] == "disks"] == ["one"], L
PY

# The payload gone from the box: cache puts it back first.
bssh 'rm -rf ~/.cnorch/payload'
cn cache one >"$work/cache-up.out" 2>&1
check "cache uploads a missing payload, then answers" bash -c "
	grep -q '^one: payload [0-9a-f]* uploaded' '$work/cache-up.out' &&
	grep -Eq '^one +$REPO ' '$work/cache-up.out'"
check "the payload is back on the box" bssh 'ls ~/.cnorch/payload/*/cnorch-agent >/dev/null'

# ---------------------------------------------------------------- verify
cn verify one test-org/no-such-model >"$work/v-none.out" 2>&1
rc=$?
check "verify of a repo not cached: exit 1 (got $rc), named" bash -c "
	[ $rc = 1 ] && grep -q \"^one: .*'test-org/no-such-model'\" '$work/v-none.out'"
cn verify one >"$work/v0.out" 2>&1
check "verify of a sound cache: exit 0" test $? = 0
check "verify: a per-box result" grep -q '^one: verify ok: ' "$work/v0.out"
BB=$(blob "$SHA1" b.safetensors)
bssh "printf XXXX | dd of=$RD/blobs/$BB bs=1 seek=1000 conv=notrunc 2>/dev/null"
cn verify one >"$work/v1.out" 2>&1
rc=$?
check "verify of a corrupted blob: exit 1 (got $rc)" test "$rc" = 1
check "verify names host, repo and path" grep -q "^one: bad $REPO: b.safetensors in ${SHA1:0:8}" "$work/v1.out"
cn verify one --json >"$work/v1.jsonl" 2>/dev/null
check "verify --json: the bad file with host, repo and path" python3 - "$work/v1.jsonl" "$SHA1" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
bad = [(o["host"], o["repo"], o["path"], o["commit"]) for o in L if o.get("kind") == "bad"]
assert bad == [("one", "test-org/rev-model", "b.safetensors", sys.argv[2])], bad
assert [o["status"] for o in L if o.get("event") == "verify"] == ["bad"], L
PY
hubpost /_stub/reset-stats
cn verify one --repair >"$work/v2.out" 2>&1
rc=$?
check "verify --repair: exit 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/v2.out"
check "verify --repair fetched only that file" bash -c "
	[ \"\$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(k.rsplit(\"/\", 1)[-1] for k in d[\"paths\"] if \"/resolve/\" in k))' <<<'$(hubget /_stub/stats)')\" = \"['b.safetensors']\" ]"
cn verify one >"$work/v3.out" 2>&1
check "verify is clean after the repair" test $? = 0

# ---------------------------------------------------------------- no space
# The data disk made to show 512 KiB free (the fixture's df wrapper).
setdf() { printf '#!/bin/sh\n/bin/df "$@" | awk '"'"'NR==1{print;next}{$4=%s; print}'"'"'\n' "$1" >"$work/box/bin/df"; chmod 755 "$work/box/bin/df"; }
setdf 512
cn pull one test-org/small-model >"$work/ns1.out" 2>&1
rc=$?
check "a pull that does not fit: exit 1 (got $rc)" test "$rc" = 1
check "refused with the numbers" grep -Eq "^one: not enough space on $BOX_HOME/autodl-tmp: 512 KiB free, 1\.0 MiB needed$" "$work/ns1.out"
check "and the gc command that frees enough" grep -q "^one: 'cnorch gc one --revisions --incomplete' would free 1.5 MiB, enough for it$" "$work/ns1.out"
check "nothing was launched" bash -c "! bssh 'ls ~/.cnorch/jobs' | grep -q small-model"
cn pull one test-org/huge-model >"$work/ns2.out" 2>&1
check "a pull gc cannot make room for: says gc frees only part" grep -q "^one: 'cnorch gc one --revisions --incomplete' would free only " "$work/ns2.out"
rm -f "$work/box/bin/df"

# ---------------------------------------------------------------- gc
bssh "find $RD | sort" >"$work/before"
cn gc one --revisions --incomplete --older-than 1h --dry-run --json >"$work/dry.jsonl" 2>&1
check "gc --dry-run: exit 0" test $? = 0
bssh "find $RD | sort" >"$work/after"
check "gc --dry-run removes nothing" cmp -s "$work/before" "$work/after"
WANT=$((CC + 4196))
gcbytes() { python3 -c "import json,sys; print([o['bytes'] for o in map(json.loads, open(sys.argv[1])) if o.get('kind') == 'gc'])" "$1"; }
check "gc --dry-run: the detached-only blob and the stale partial ($WANT)" test "$(gcbytes "$work/dry.jsonl")" = "[$WANT]"
# On a terminal: a dry run first, then the question; "n" removes nothing.
PTY=$CNORCH_SRC/tests/fixtures/pty_prompt.py
python3 "$PTY" "[y/N]" 'n\n' -- "$CNORCH" -i "$inv" gc one --revisions \
	--incomplete --older-than 1h >"$work/tty-n.out" 2>&1
check "gc on a terminal shows what would go and asks" bash -c "
	grep -q 'one: $REPO: would remove revision $SHA2' '$work/tty-n.out' &&
	grep -q 'one: would free 1.5 MiB in ' '$work/tty-n.out' &&
	grep -Eq 'remove these [0-9]+ items \(1.5 MiB\)\? \[y/N\]' '$work/tty-n.out'"
check "gc on a terminal, answered n: exit 0, nothing removed" bash -c "
	grep -q '^exit=0' '$work/tty-n.out' && grep -q 'nothing removed' '$work/tty-n.out'"
bssh "find $RD | sort" >"$work/after-n"
check "gc on a terminal, answered n: the cache is as it was" cmp -s "$work/before" "$work/after-n"
cn gc one --revisions --incomplete --older-than 1h </dev/null >"$work/gc.out" 2>&1
check "gc (piped, no --yes): exit 0" test $? = 0
check "gc prints what went" grep -q "^one: $REPO: removed revision $SHA2" "$work/gc.out"
check "gc prints the bytes freed" grep -q "^one: freed 1.5 MiB in " "$work/gc.out"
check "the detached snapshot and the stale partial are gone" \
	bssh "[ ! -e $RD/snapshots/$SHA2 ] && [ ! -e $RD/blobs/$STALE.incomplete ] && [ -e $RD/snapshots/$SHA1 ]"
bssh "head -c 2048 /dev/zero >$RD/blobs/$STALE.incomplete && touch -d '2 hours ago' $RD/blobs/$STALE.incomplete"
python3 "$PTY" "[y/N]" 'y\n' -- "$CNORCH" -i "$inv" gc one --incomplete >"$work/tty-y.out" 2>&1
check "gc on a terminal, answered y: removed" bash -c "
	grep -q '^exit=0' '$work/tty-y.out' && grep -q 'one: freed 2.0 KiB in 1 item' '$work/tty-y.out'"
check "gc on a terminal, answered y: the partial is gone" bssh "[ ! -e $RD/blobs/$STALE.incomplete ]"
cn gc one --revisions --dry-run --json >"$work/gc2.jsonl" 2>&1
check "a second gc has nothing left" test "$(gcbytes "$work/gc2.jsonl")" = "[0]"
cn gc one --incomplete --older-than 3days >"$work/gcbad.out" 2>&1
check "gc --older-than with a bad duration: exit 2 naming it" bash -c "[ $? = 2 ] && grep -q \"'3days'\" '$work/gcbad.out'"
check "main still verifies" cn verify one $REPO

echo "1..$((pass + fail))"
[ "$fail" = 0 ]
