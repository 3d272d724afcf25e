#!/usr/bin/env bash
# cnorch provision end to end, proved the way a user would check: a real
# sshd box (tests/fixtures/sshd-box.sh) and the hub stand-in on 127.0.0.1,
# the laptop's HOME a temporary directory.  What the box ends up with is
# read over SSH (`bash -ic env`, the files in the HF cache), not from
# cnorch's own output.
#
# CNORCH_TEST_KEEP=1 keeps the work directory.
# shellcheck disable=SC1090,SC1091  # box.env files are made at run time
# shellcheck disable=SC2016  # $vars in '...' are for the box's shell
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
skip() { echo "ok - $1 # skip $2"; pass=$((pass + 1)); }

work=$(mktemp -d /tmp/cnorch-prov.XXXXXX)
chmod 755 "$work"
boxes=()
hub_pid=""
cnorch_pid=""
cleanup() {
	local b
	[ -n "$cnorch_pid" ] && kill "$cnorch_pid" 2>/dev/null
	for b in "${boxes[@]+"${boxes[@]}"}"; do
		bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$work/$b" >/dev/null 2>&1
	done
	[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
	# CNORCH_TEST_KEEP=1 keeps the work directory to look at.
	if [ -n "${CNORCH_TEST_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Poll until "$@" succeeds, at most $1 tenths of a second.
wait_for() {
	local n=$1 i; shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- laptop
export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY
export XDG_STATE_HOME=$work/state

# ---------------------------------------------------------------- hub
# The stand-in's repos plus one bigger than a nearly full disk (its bytes
# are computed when asked for, nothing is stored).
cat > "$work/repos.spec.json" <<'JSON'
{ "include_defaults": true,
  "models": { "test-org/huge-model": { "revision": "main", "files": [
      { "path": "config.json" },
      { "path": "model.safetensors", "size": 3221225472, "lfs": true } ] } } }
JSON
python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 --repos "$work/repos.spec.json" \
	--port-file "$work/hub.port" --log "$work/hub.log" 2>"$work/hub.err" &
hub_pid=$!
wait_for 100 test -s "$work/hub.port" || { echo "hubstub did not start"; cat "$work/hub.err"; exit 1; }
HUB=http://127.0.0.1:$(cat "$work/hub.port")
hub() { python3 - "$HUB" "$@" <<'PY'
import json, sys, urllib.request
base, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}

# ---------------------------------------------------------------- boxes
root=false
[ "$(id -u)" = 0 ] && root=true
start_box() {	# NAME [fixture options]
	local name=$1; shift
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$work/$name" "$@" \
		>/dev/null 2>"$work/$name.err" || { cat "$work/$name.err"; return 1; }
	boxes+=("$name")
	( . "$work/$name/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
}
# bssh NAME CMD: run CMD on the box with OpenSSH, not with cnorch.
bssh() {
	local name=$1; shift
	( . "$work/$name/box.env"
	  ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@" )
}
boxhome() { ( . "$work/$1/box.env"; echo "$BOX_HOME" ); }

start_box main || exit 1
start_box arm --arch aarch64 || exit 1
start_box full --df-avail-kb 1000 || exit 1
start_box proxy || exit 1
start_box slow || exit 1
start_box tok || exit 1
start_box drop || exit 1
start_box small --df-avail-kb 1572864 || exit 1
start_box nowait || exit 1
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
if $root; then
	start_box pw --password 'pw s3cret' || exit 1
	rm -f "$work/pw/client_key"	# nothing but the password
fi

# host_json NAME [extra JSON members]
host_json() {
	local name=$1 extra=${2:-}
	( . "$work/$name/box.env"
	  key="\"identity_file\": \"$BOX_KEY\","
	  [ "$name" = pw ] && key="\"identity_file\": null, \"password_env\": \"PW_BOX_PASSWORD\","
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s", %s
	    "data_dir": "~/autodl-tmp" %s }' "$name" "$BOX_PORT" "$BOX_USER" "$key" "$extra" )
}
tiny=', "pulls": [ { "repo": "test-org/tiny-model" } ]'
write_inv() {	# FILE PROXY_MEMBER
	local proxy=${2:-} hosts
	hosts="$(host_json main "$tiny"), $(host_json arm "$tiny"), $(host_json full "$tiny"),
	       $(host_json proxy "$proxy"), $(host_json slow "$tiny"),
	       $(host_json tok ', "hf_token_env": "HF_TOKEN", "pulls": [ { "repo": "test-org/gated-model" } ]'),
	       $(host_json drop "$tiny"),
	       $(host_json small ', "pulls": [ { "repo": "test-org/huge-model" } ]'),
	       $(host_json nowait "$tiny"),
	       \"dead\": { \"host\": \"127.0.0.1\", \"port\": $dead_port, \"connect_timeout\": 3 }"
	$root && hosts="$hosts, $(host_json pw)"
	cat > "$1" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB" } },
  "hosts": { $hosts } }
JSON
}
inv=$work/inv.json
write_inv "$inv" ', "proxy": "http://user:pr0xy-secret@127.0.0.1:3128", "proxy_in_shells": true'
write_inv "$work/inv-noproxy.json" ""
export PW_BOX_PASSWORD='pw s3cret'

cn() { "$CNORCH" -i "$inv" "$@"; }

# ---------------------------------------------------------------- fresh box
mhome=$(boxhome main)
data=$mhome/autodl-tmp
cn provision main > "$work/p1.out" 2> "$work/p1.err"
rc=$?
check "fresh box: provision exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || { cat "$work/p1.out" "$work/p1.err"; }
check "fresh box: every output line is host-prefixed" \
	bash -c "! grep -hv '^main: ' '$work/p1.out' '$work/p1.err'"
check "fresh box: recap line" grep -Eq '^main: ok=[0-9]+ changed=[1-9][0-9]* failed=0$' "$work/p1.out"
check "fresh box: pull reported done" grep -q '^main: test-org/tiny-model@main done' "$work/p1.out"

bssh main 'bash -ic env' > "$work/env1" 2>/dev/null
envhas() { grep -qx "$1" "$work/env1"; }
check "env: HF_ENDPOINT is the mirror" envhas "HF_ENDPOINT=$HUB"
check "env: HF_HOME on the data disk" envhas "HF_HOME=$data/hf"
check "env: HF_HUB_CACHE on the data disk" envhas "HF_HUB_CACHE=$data/hf/hub"
check "env: MODELSCOPE_CACHE on the data disk" envhas "MODELSCOPE_CACHE=$data/modelscope"
check "env: hf_transfer off" envhas "HF_HUB_ENABLE_HF_TRANSFER=0"
check "env: no proxy without one in the inventory" bash -c "! grep -qi '^https\\?_proxy=' '$work/env1'"
# pip and conda: what the tools would read.
bssh main 'if command -v pip3 >/dev/null 2>&1; then pip3 config list 2>/dev/null; fi;
	cat ~/.config/pip/pip.conf ~/.pip/pip.conf 2>/dev/null' > "$work/pip1"
check "pip: index is the TUNA mirror" grep -q 'pypi.tuna.tsinghua.edu.cn/simple' "$work/pip1"
bssh main 'cat ~/.condarc' > "$work/condarc1" 2>/dev/null
check "conda: TUNA main channel" grep -q 'mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main' "$work/condarc1"
check "conda: never a mirrored pytorch-nightly" bash -c "! grep -q 'pytorch-nightly' '$work/condarc1'"

# The weights, hash by hash, against the hub's own list.
hub GET /_stub/repos > "$work/repos.json"
bssh main "cd ~/autodl-tmp/hf/hub/models--test-org--tiny-model/snapshots/*/ && find -L . -type f -exec sha256sum {} +" \
	> "$work/sums1" 2>/dev/null
check "pull: every file of tiny-model present with its sha256" python3 - "$work/repos.json" "$work/sums1" <<'PY'
import json, sys
repos = json.load(open(sys.argv[1]))
# Accept the stub's shapes: {"repos":[{"id","files":[...]}]} or a list.
items = repos.get("repos", repos) if isinstance(repos, dict) else repos
want = None
for r in (items.values() if isinstance(items, dict) else items):
    rid = r.get("id") or r.get("repo") or r.get("name")
    if rid and rid.endswith("test-org/tiny-model") and r.get("type", "model") == "model":
        want = {f["path"]: f["sha256"] for f in r["files"]}
got = {}
for line in open(sys.argv[2]):
    h, p = line.split(None, 1)
    got[p.strip()[2:]] = h
if not want:
    print("no tiny-model in /_stub/repos", file=sys.stderr); sys.exit(1)
bad = [p for p in want if got.get(p) != want[p]]
if bad or len(got) != len(want):
    print("mismatch:", bad, sorted(got), sorted(want), file=sys.stderr); sys.exit(1)
PY
check "pull: refs/main names the snapshot" bssh main \
	'c=$(cat ~/autodl-tmp/hf/hub/models--test-org--tiny-model/refs/main) && test -d ~/autodl-tmp/hf/hub/models--test-org--tiny-model/snapshots/$c'

# ---------------------------------------------------------------- second run
pid_payload=$(bssh main 'ls -d ~/.cnorch/payload/*/ | head -n 1')
# Inode and mtime: a new upload is a new directory renamed into place.
mt1=$(bssh main "stat -c %Y.%i $pid_payload ${pid_payload}cnorch-agent")
jobs1=$(bssh main 'ls -A ~/.cnorch/jobs; stat -c %Y.%i ~/.cnorch/jobs/*/ ~/.cnorch/jobs/*/job.json 2>/dev/null')
hub GET /_stub/stats > "$work/stats1"
cn provision main > "$work/p2.out" 2> "$work/p2.err"
rc=$?
check "second run: exits 0 (got $rc)" test "$rc" = 0
check "second run: changed=0" grep -Eq '^main: ok=[1-9][0-9]* changed=0 failed=0$' "$work/p2.out"
check "second run: payload not uploaded again (same inode and mtime)" \
	test "$(bssh main "stat -c %Y.%i $pid_payload ${pid_payload}cnorch-agent")" = "$mt1"
check "second run: no temporary upload left" bssh main '! ls -d ~/.cnorch/payload/.tmp-* 2>/dev/null'
check "second run: payload reported ok" grep -q '^main: payload ok ' "$work/p2.out"
check "second run: no second job" test "$(bssh main 'ls -A ~/.cnorch/jobs; stat -c %Y.%i ~/.cnorch/jobs/*/ ~/.cnorch/jobs/*/job.json 2>/dev/null')" = "$jobs1"
hub GET /_stub/stats > "$work/stats2"
check "second run: nothing downloaded again" python3 - "$work/stats1" "$work/stats2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# KeyError (a renamed counter) fails the check rather than passing it.
sys.exit(0 if a["bytes_sent"] == b["bytes_sent"] else 1)
PY

# --json: every line is a JSON object naming its host.
cn --json provision main > "$work/p3.out" 2> "$work/p3.err"
rc=$?
check "--json: exits 0 (got $rc)" test "$rc" = 0
check "--json: every stdout line parses, with host" python3 - "$work/p3.out" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and o["host"] == "main", line
    n += 1
sys.exit(0 if n > 0 else 1)
PY

# A payload that no longer checks is replaced; stale temporaries go.
bssh main "printf x >> ${pid_payload}cnorch-agent; mkdir -p ~/.cnorch/payload/.tmp-old-1 && touch -d '-1 hour' ~/.cnorch/payload/.tmp-old-1"
cn provision main > "$work/p4.out" 2>&1
rc=$?
check "broken payload: exit 0 (got $rc)" test "$rc" = 0
check "broken payload: uploaded again" grep -q '^main: payload changed ' "$work/p4.out"
check "broken payload: the copy on the box checks" bssh main "cd $pid_payload && sha256sum -c --quiet SHA256SUMS"
check "broken payload: stale temporary removed" bssh main 'test ! -e ~/.cnorch/payload/.tmp-old-1'
check "broken payload: still one payload directory" test "$(bssh main 'ls -A ~/.cnorch/payload | wc -l')" = 1

# ---------------------------------------------------------------- fleet
# Several hosts at once: each its own lines, 3 (unreachable) wins over 1.
cn provision 'main,arm,dead' > "$work/fleet.out" 2>&1
rc=$?
check "fleet: unreachable wins, exit 3 (got $rc)" test "$rc" = 3
check "fleet: every line names its host" bash -c "! grep -Ev '^(main|arm|dead): ' '$work/fleet.out'"
check "fleet: the good host still ends ok" grep -Eq '^main: ok=[0-9]+ changed=0 failed=0$' "$work/fleet.out"
check "fleet: the bad arch reported" grep -q "^arm: unsupported architecture 'aarch64'" "$work/fleet.out"
check "fleet: the dead host reported" grep -q '^dead: unreachable$' "$work/fleet.out"
cn provision 'main,arm' > /dev/null 2>&1
rc=$?
check "fleet: a remote failure alone, exit 1 (got $rc)" test "$rc" = 1

# ---------------------------------------------------------------- usage
cn provision > "$work/u1.out" 2>&1
rc=$?
check "usage: no TARGET, exit 2 (got $rc)" test "$rc" = 2
check "usage: says what is missing" grep -q '^error: provision needs a TARGET' "$work/u1.out"
cn provision main --bogus > "$work/u2.out" 2>&1
rc=$?
check "usage: unknown option, exit 2 (got $rc)" test "$rc" = 2
cn provision nosuchhost > "$work/u3.out" 2>&1
rc=$?
check "usage: unknown host, exit 2 (got $rc)" test "$rc" = 2
check "usage: unknown host named" grep -q "nosuchhost" "$work/u3.out"

# ---------------------------------------------------------------- failures
cn provision arm > "$work/arm.out" 2>&1
rc=$?
check "aarch64: exit 1 (got $rc)" test "$rc" = 1
check "aarch64: one-line error" grep -qx "arm: unsupported architecture 'aarch64' (cnorch-agent is x86_64 only)" "$work/arm.out"
check "aarch64: nothing uploaded" bssh arm 'test ! -e ~/.cnorch/payload'

cn provision full > "$work/full.out" 2>&1
rc=$?
check "full disk: exit 1 (got $rc)" test "$rc" = 1
check "full disk: one-line error" grep -Eq "^full: not enough space on $(boxhome full)/autodl-tmp: 1000 KiB free, [0-9.]+ [KMG]iB needed$" "$work/full.out"
check "full disk: nothing launched" bssh full 'test ! -e ~/.cnorch/jobs'

# Above the floor but below what the plan needs: refused before launching
# (the plan sized on the box), with what gc could do about it.
hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 1048576}]}' >/dev/null
cn provision small > "$work/small.out" 2>&1
rc=$?
hub POST /_stub/faults '{"rules": []}' >/dev/null
check "plan larger than the disk: exit 1 (got $rc)" test "$rc" = 1
check "plan larger than the disk: one-line error" grep -qx "small: not enough space on $(boxhome small)/autodl-tmp: 1.5 GiB free, 3.0 GiB needed" "$work/small.out"
check "plan larger than the disk: the gc hint" grep -qx "small: nothing for 'cnorch gc' to free" "$work/small.out"
check "plan larger than the disk: nothing launched" bssh small '! ls ~/.cnorch/jobs/*/state.json >/dev/null 2>&1'

if $root; then
	cn provision pw > "$work/pw.out" 2>&1
	rc=$?
	check "password-only box: exit 0 (got $rc)" test "$rc" = 0
	check "password-only box: env.sh in place" test -s "$(boxhome pw)/.cnorch/env.sh"
	check "password-only box: password nowhere in the output" bash -c "! grep -q 's3cret' '$work/pw.out'"
else
	skip "password-only box" "needs root (sshd password auth)"
fi

# ---------------------------------------------------------------- proxy
cn provision proxy > "$work/proxy1.out" 2>&1
rc=$?
check "proxy: exit 0 (got $rc)" test "$rc" = 0
check "proxy: secret not in our output" bash -c "! grep -q 'pr0xy-secret' '$work/proxy1.out'"
bssh proxy 'bash -ic env' > "$work/env-proxy" 2>/dev/null
check "proxy: https_proxy set in a login shell" grep -q '^https_proxy=http://user:pr0xy-secret@127.0.0.1:3128$' "$work/env-proxy"
check "proxy: no_proxy has loopback and leading-dot domestic domains" bash -c \
	"grep '^no_proxy=' '$work/env-proxy' | grep -q '127.0.0.1' && grep '^no_proxy=' '$work/env-proxy' | grep -q 'localhost' && grep '^no_proxy=' '$work/env-proxy' | grep -q ',\\.tuna\\.tsinghua\\.edu\\.cn'"
check "proxy: NO_PROXY equals no_proxy" bash -c \
	"test \"\$(sed -n 's/^no_proxy=//p' '$work/env-proxy')\" = \"\$(sed -n 's/^NO_PROXY=//p' '$work/env-proxy')\""
check "proxy: env.sh has the block" bssh proxy 'grep -q no_proxy ~/.cnorch/env.sh'
"$CNORCH" -i "$work/inv-noproxy.json" provision proxy > "$work/proxy2.out" 2>&1
rc=$?
check "proxy removed: exit 0 (got $rc)" test "$rc" = 0
bssh proxy 'bash -ic env' > "$work/env-proxy2" 2>/dev/null
check "proxy removed: no proxy, no no_proxy in a login shell" bash -c \
	"! grep -Eqi '^(https?_proxy|no_proxy)=' '$work/env-proxy2'"
check "proxy removed: block gone from env.sh" bssh proxy '! grep -q no_proxy ~/.cnorch/env.sh'

# ---------------------------------------------------------------- token
# A gated repo: without HF_TOKEN the pull fails (exit 1); with it, it
# works, and the token shows up nowhere on the box but in the agent's
# memory (it travels in the environment, on stdin, never in argv).
cn provision tok > "$work/tok1.out" 2>&1
rc=$?
check "gated without HF_TOKEN: exit 1 (got $rc)" test "$rc" = 1
check "gated without HF_TOKEN: pull reported failed" grep -q '^tok: test-org/gated-model@main failed' "$work/tok1.out"
# (The stand-in is plain http: the agent sends a token there only with
# the explicit opt-in.)
HF_TOKEN=hf_testtoken CNORCH_ALLOW_HTTP_TOKEN=1 cn provision tok > "$work/tok2.out" 2>&1
rc=$?
check "gated with HF_TOKEN: exit 0 (got $rc)" test "$rc" = 0
check "gated with HF_TOKEN: pull done" grep -q '^tok: test-org/gated-model@main done' "$work/tok2.out"
check "token not in our output" bash -c "! grep -q hf_testtoken '$work/tok2.out'"
check "token not written on the box" bash -c "! grep -rq hf_testtoken '$(boxhome tok)'"

# ---------------------------------------------------------------- drop
# The connection dies mid-follow: cnorch reconnects and resumes from its
# byte offset, no event twice.  Needs the box's own user (root) to find
# the box's sshd session process.
if $root; then
	hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 262144}]}' >/dev/null
	"$CNORCH" -i "$inv" provision drop > "$work/drop.out" 2>&1 &
	cnorch_pid=$!
	duser=$( . "$work/drop/box.env"; echo "$BOX_USER" )
	if wait_for 600 grep -q '^drop: .* plan ' "$work/drop.out"; then
		spid=$(pgrep -n -u "$duser" -f '^sshd: .*@notty')
		[ -n "$spid" ] && kill "$spid"
		wait "$cnorch_pid"
		rc=$?
		cnorch_pid=""
		check "dropped connection: exit 0 (got $rc)" test "$rc" = 0
		check "dropped connection: reconnected" grep -q '^drop: connection lost; reconnecting (attempt 1)' "$work/drop.out"
		check "dropped connection: every event once" bash -c \
			"test \$(grep -c ' plan ' '$work/drop.out') = 1 && test \$(grep -c ' file_done ' '$work/drop.out') = 6 && test \$(grep -c ' done ok ' '$work/drop.out') = 1"
		check "dropped connection: pull done" grep -q '^drop: test-org/tiny-model@main done' "$work/drop.out"
	else
		notok "dropped connection: provision never planned"
		cat "$work/drop.out"
	fi
	hub POST /_stub/faults '{"rules": []}' >/dev/null
else
	skip "dropped connection" "needs root (the box's own user)"
fi

# ---------------------------------------------------------------- --no-wait
# Launch and return; a second provision finds the job running, starts no
# other, and follows it to the end.
hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 262144}]}' >/dev/null
cn provision nowait --no-wait > "$work/nw1.out" 2>&1
rc=$?
check "--no-wait: exit 0 (got $rc)" test "$rc" = 0
check "--no-wait: job left running" grep -q '^nowait: test-org/tiny-model@main running on the box' "$work/nw1.out"
check "--no-wait: no events followed" bash -c "! grep -q ' done ok ' '$work/nw1.out'"
cn provision nowait > "$work/nw2.out" 2>&1
rc=$?
hub POST /_stub/faults '{"rules": []}' >/dev/null
check "running job: exit 0 (got $rc)" test "$rc" = 0
check "running job: not started twice" grep -q '^nowait: pull running test-org--tiny-model@main' "$work/nw2.out"
check "running job: no old job moved aside" bssh nowait 'test ! -e ~/.cnorch/jobs/.old/test-org--tiny-model@main'
check "running job: followed to the end" grep -q '^nowait: test-org/tiny-model@main done' "$work/nw2.out"

# ---------------------------------------------------------------- Ctrl-C
# Slow enough that the pull outlives the detach: every connection of the
# agent (the endgame keeps all of them busy to the last byte) at 64 KiB/s.
hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 65536}]}' >/dev/null
"$CNORCH" -i "$inv" provision slow > "$work/slow.out" 2>&1 &
cnorch_pid=$!
if wait_for 600 grep -q '^slow: .*progress\|^slow: .* plan ' "$work/slow.out"; then
	kill -INT "$cnorch_pid"
	wait "$cnorch_pid"
	rc=$?
	cnorch_pid=""
	check "Ctrl-C: exit 0 (got $rc)" test "$rc" = 0
	check "Ctrl-C: reattach hint" grep -qx 'slow: detached; jobs keep running. reattach with: cnorch logs slow -f' "$work/slow.out"
	check "Ctrl-C: job still running after detach" bssh slow 'grep -q "\"running\"" ~/.cnorch/jobs/*/state.json'
	hub POST /_stub/faults '{"rules": []}' >/dev/null
	jobdone() { bssh slow 'grep -q "\"done\"" ~/.cnorch/jobs/*/state.json'; }
	check "Ctrl-C: the job finishes on its own" wait_for 1200 jobdone
else
	notok "Ctrl-C: provision never showed progress"
	cat "$work/slow.out"
fi

# Under ASan/UBSan a report lands in cnorch's output; none anywhere.
check "no sanitizer report in any cnorch output" bash -c \
	"! grep -lE 'Sanitizer|runtime error:' '$work'/*.out '$work'/*.err 2>/dev/null | grep -v 'hub.err'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
