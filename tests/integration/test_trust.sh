#!/usr/bin/env bash
# Issue 10 on the laptop side, checked the way a careful user would: real
# sshd boxes (tests/fixtures/sshd-box.sh) and the hub stand-in on 127.0.0.1.
#   - command-line values are validated before any box is contacted;
#   - a token reaches a box only when its inventory names the variable,
#     travels on stdin (never argv: `ps` on the box), and lands in no job
#     file and no run log;
#   - hosts --json and the run logs never show a proxy's user:pass, a
#     password or a token;
#   - a read-only ~/.profile is a warning and the pull still completes;
#     the agent gets HF_HOME/HF_HUB_CACHE and the proxy in its own
#     environment, the proxy stays out of the shells (proxy_in_shells).
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

work=$(mktemp -d /tmp/cnorch-trust.XXXXXX)
chmod 755 "$work"
boxes=()
hub_pid=""
cleanup() {
	local b
	for b in "${boxes[@]+"${boxes[@]}"}"; do
		bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$work/$b" >/dev/null 2>&1
	done
	[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
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

TOKEN=hf_TRUSTsecret42
PROXY_SECRET=pr0xy-TRUSTsecret
PW='pw TRUSTs3cret'

# ---------------------------------------------------------------- laptop
export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY MODELSCOPE_API_TOKEN
export XDG_STATE_HOME=$work/state
runs=$XDG_STATE_HOME/cnorch/runs

# ---------------------------------------------------------------- hub
# The token through the environment: the hub's own argv is in `ps` too.
HUBSTUB_TOKEN=$TOKEN python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 \
	--port-file "$work/hub.port" --log "$work/hub.log" 2>"$work/hub.err" &
hub_pid=$!
wait_for 100 test -s "$work/hub.port" || { echo "hubstub did not start"; cat "$work/hub.err"; exit 1; }
HUB=http://127.0.0.1:$(cat "$work/hub.port")
hub() { python3 - "$HUB" "$@" <<'PY'
import sys, urllib.request
base, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}
slow_hub() { hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 131072}]}' >/dev/null; }
fast_hub() { hub POST /_stub/faults '{"rules": []}' >/dev/null; }

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
bssh() {
	local name=$1; shift
	( . "$work/$name/box.env"
	  ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@" )
}
boxhome() { ( . "$work/$1/box.env"; echo "$BOX_HOME" ); }

start_box gate || exit 1
start_box ro || exit 1
if $root; then
	start_box pw --password "$PW" || exit 1
	rm -f "$work/pw/client_key"	# nothing but the password
fi
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

# host_json INVENTORY_NAME BOX [extra JSON members]
host_json() {
	local name=$1 box=$2 extra=${3:-}
	( . "$work/$box/box.env"
	  key="\"identity_file\": \"$BOX_KEY\","
	  [ "$box" = pw ] && key="\"identity_file\": null, \"password_env\": \"PW_BOX_PASSWORD\","
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s", %s
	    "data_dir": "~/autodl-tmp" %s }' "$name" "$BOX_PORT" "$BOX_USER" "$key" "$extra" )
}
proxy=", \"proxy\": \"http://user:$PROXY_SECRET@127.0.0.1:9\""
hosts="$(host_json gate gate ', "hf_token_env": "CN_TEST_HF_TOKEN"'),
       $(host_json gate_ambient gate),
       $(host_json ro ro "$proxy, \"pulls\": [ { \"repo\": \"test-org/tiny-model\" } ]"),
       \"dead\": { \"host\": \"127.0.0.1\", \"port\": $dead_port, \"connect_timeout\": 3 }"
$root && hosts="$hosts, $(host_json pw pw "$proxy, \"hf_token_env\": \"CN_TEST_HF_TOKEN\"")"
inv=$work/inv.json
cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB" } },
  "hosts": { $hosts } }
JSON
export PW_BOX_PASSWORD=$PW
cn() { "$CNORCH" -i "$inv" "$@"; }
# The stand-in speaks plain http: the agent sends a token over http only
# with this opt-in (local test hubs).  Set for every case, so a gated pull
# that fails here fails because no token was sent, not because of http.
export CNORCH_ALLOW_HTTP_TOKEN=1

# ------------------------------------------------------- command line
# Set up the box first, so a value that got through would reach an agent.
cn provision gate > "$work/prov-gate.out" 2>&1
rc=$?
check "setup: provision of the gate box exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/prov-gate.out"
ghome=$(boxhome gate)
jobs_before=$(bssh gate 'ls -A ~/.cnorch/jobs ~/.cnorch/jobs/.locks 2>/dev/null')

# usage_refused NAME WANT_MESSAGE CNORCH_ARGS...: exit 2, the inventory's
# words naming the value, nothing on the box changed.
usage_refused() {
	local name=$1 want=$2 rc; shift 2
	cn "$@" > "$work/u.out" 2>&1
	rc=$?
	check "$name: exit 2 (got $rc)" test "$rc" = 2
	check "$name: says $want" grep -qF "error: $want" "$work/u.out"
	check "$name: nothing created on the box" \
		test "$(bssh gate 'ls -A ~/.cnorch/jobs ~/.cnorch/jobs/.locks 2>/dev/null')" = "$jobs_before"
	check "$name: nothing ran on the box" test ! -e "$ghome/cn-pwned"
}
usage_refused "repo with shell" \
	"invalid repo id 'org/x;id>/tmp/p;#': expected 'org/name' (letters, digits, '.', '_', '-')" \
	pull gate 'org/x;id>/tmp/p;#'
usage_refused "repo with shell, one slash" \
	"invalid repo id 'org/x;id>cn-pwned;#'" pull gate 'org/x;id>cn-pwned;#'
usage_refused "revision with shell" \
	"invalid revision 'main;id>cn-pwned': expected a branch, tag or commit" \
	pull gate test-org/tiny-model --revision 'main;id>cn-pwned'
usage_refused "revision with .." "invalid revision 'a/../b'" \
	pull gate test-org/tiny-model --revision 'a/../b'
usage_refused "include glob with a newline" "invalid glob 'a?id'" \
	pull gate test-org/tiny-model --include $'a\nid'
usage_refused "exclude glob empty" "invalid glob ''" \
	pull gate test-org/tiny-model --exclude ''
usage_refused "logs JOB with shell" "invalid job id 'x;id>cn-pwned'" \
	logs gate 'x;id>cn-pwned'
usage_refused "stop JOB with shell" "invalid job id '\$(id)'" stop gate '$(id)'
usage_refused "stop JOB repo@revision with shell" "invalid revision 'main;id'" \
	stop gate 'test-org/tiny-model@main;id'
# Checked before any connection: an unreachable host still gives 2, not 3.
cn pull dead 'org/x;id' > "$work/u-dead.out" 2>&1
rc=$?
check "refused before connecting: exit 2 for an unreachable host (got $rc)" test "$rc" = 2
# Good values still pass the checks (the repo is unknown at the hub).
cn stop gate 'test-org/tiny-model@main' > "$work/u-ok.out" 2>&1
rc=$?
check "a good JOB still runs: not a usage error (got $rc)" test "$rc" != 2

# ---------------------------------------------------------------- tokens
# The ambient HF_TOKEN alone reaches no box: the gated pull fails, with a
# note saying how to send it.
HF_TOKEN=$TOKEN cn pull gate_ambient test-org/gated-model > "$work/amb.out" 2> "$work/amb.err"
rc=$?
check "ambient HF_TOKEN only: exit 1 (got $rc)" test "$rc" = 1
check "ambient HF_TOKEN only: failed as gated" grep -qi 'gated\|restricted\|401\|403' "$work/amb.out"
check "ambient HF_TOKEN only: one note how to send it" \
	test "$(grep -c '^note: HF_TOKEN is set here but is not sent to gate_ambient.*"hf_token_env": "HF_TOKEN"' "$work/amb.err")" = 1

# With hf_token_env the token goes, through the environment only.  A slow
# hub keeps the agent running while ps looks at every process.
slow_hub
CN_TEST_HF_TOKEN=$TOKEN cn pull gate test-org/gated-model --no-wait > "$work/tok1.out" 2>&1
rc=$?
check "hf_token_env: started (got $rc)" test "$rc" = 0
seen_ps=0 ps_leak=0
# (ps.snapshot, not *.out: it shows every process, other tests' too)
for _ in $(seq 1 30); do
	ps -eo args > "$work/ps.snapshot"
	grep -qF "$ghome/.cnorch/jobs/test-org--gated-model@main" "$work/ps.snapshot" &&
		seen_ps=$((seen_ps + 1))
	grep -q "$TOKEN" "$work/ps.snapshot" && ps_leak=1
	sleep 0.1
done
check "ps: this pull's agent was seen running" test "$seen_ps" -gt 0
check "ps: the token in no process's argv" test "$ps_leak" = 0
fast_hub
CN_TEST_HF_TOKEN=$TOKEN cn pull gate test-org/gated-model > "$work/tok2.out" 2>&1
rc=$?
check "hf_token_env: the gated pull completes (got $rc)" test "$rc" = 0
# The pull the ps loop watched may have finished already (it carried the
# same token): either way the gated repo arrived.
check "hf_token_env: pull done" grep -Eq '^gate: test-org--gated-model@main (done|complete already)' "$work/tok2.out"
check "token nowhere in the box's files (jobs, env.sh, cache)" bash -c "! grep -rq '$TOKEN' '$ghome'"
check "token in no run log" bash -c "! grep -rq '$TOKEN' '$runs'"
check "token not in our output" bash -c "! grep -q '$TOKEN' '$work'/*.out '$work'/*.err"

# ---------------------------------------------------- read-only profile
# A ~/.profile the user made read-only: a warning, setup goes on, the pull
# completes into the data disk.
rhome=$(boxhome ro)
bssh ro 'printf "# mine\n" > ~/.profile && chmod 444 ~/.profile'
cn provision ro > "$work/ro.out" 2>&1
rc=$?
check "read-only .profile: provision exits 0 (got $rc)" test "$rc" = 0
check "read-only .profile: a warning naming the file" grep -q '^ro: .*profile.*read-only\|^ro: .*cannot write .*profile' "$work/ro.out"
check "read-only .profile: left as it was" bssh ro 'test "$(cat ~/.profile)" = "# mine" && test ! -w ~/.profile'
check "read-only .profile: the pull completes" grep -q '^ro: test-org/tiny-model@main done' "$work/ro.out"
check "read-only .profile: the weights on the data disk" \
	bssh ro 'test -n "$(ls ~/autodl-tmp/hf/hub/models--test-org--tiny-model/snapshots/*/ 2>/dev/null)"'

# proxy_in_shells unset: the proxy stays out of env.sh and every shell.
check "proxy: not in env.sh without proxy_in_shells" bssh ro '! grep -q _proxy ~/.cnorch/env.sh'
check "proxy: its password nowhere on the box" bash -c "! grep -rq '$PROXY_SECRET' '$rhome'"

# env.sh gone (a dotfile that never sourced it, a user who removed it):
# the agent still gets the data disk and the proxy in its environment.
# (A repo not in the cache yet, so the agent is still running to look at.)
bssh ro 'rm -f ~/.cnorch/env.sh'
slow_hub
HF_TOKEN=$TOKEN cn pull ro test-org/tiny-dataset --dataset --no-wait > "$work/ro2.out" 2>&1
rc=$?
check "agent env: pull started (got $rc)" test "$rc" = 0
# The running agent's environment, as the box's /proc has it.
agent_env() {
	local p
	p=$(sed -n 's/.*"pid" *: *\([0-9][0-9]*\).*/\1/p' "$rhome"/.cnorch/jobs/datasets--*/state.json 2>/dev/null | head -n 1)
	[ -n "$p" ] && tr '\0' '\n' < "/proc/$p/environ" > "$work/agent.env" 2>/dev/null &&
		grep -q . "$work/agent.env"
}
if wait_for 100 agent_env; then
	envhas() { grep -qx "$1" "$work/agent.env"; }
	check "agent env: HF_HOME on the data disk" envhas "HF_HOME=$rhome/autodl-tmp/hf"
	check "agent env: HF_HUB_CACHE on the data disk" envhas "HF_HUB_CACHE=$rhome/autodl-tmp/hf/hub"
	check "agent env: HF_ENDPOINT the mirror" envhas "HF_ENDPOINT=$HUB"
	check "agent env: the inventory's proxy" envhas "https_proxy=http://user:$PROXY_SECRET@127.0.0.1:9"
	check "agent env: no_proxy with loopback and the guide's domestic list" \
		bash -c "grep -q '^no_proxy=127.0.0.1,localhost,.*\\.tuna\\.tsinghua\\.edu\\.cn' '$work/agent.env' && grep -q '^NO_PROXY=127.0.0.1,localhost' '$work/agent.env'"
	check "agent env: no token for a host without hf_token_env" bash -c "! grep -q '$TOKEN' '$work/agent.env'"
else
	notok "agent env: no running agent found"
fi
fast_hub
cn pull ro test-org/tiny-dataset --dataset > "$work/ro3.out" 2>&1
rc=$?
check "agent env: that pull completes too (got $rc)" test "$rc" = 0

# ---------------------------------------------------------------- secrets
# hosts --json: the proxy's user:pass redacted.
cn hosts --json > "$work/hosts.json" 2>&1
rc=$?
check "hosts --json: exit 0 (got $rc)" test "$rc" = 0
check "hosts --json: no proxy password" bash -c "! grep -q '$PROXY_SECRET' '$work/hosts.json'"
check "hosts --json: the proxy shown redacted" grep -q '"proxy":"http://\*\*\*@127.0.0.1:9"' "$work/hosts.json"
cn hosts > "$work/hosts.txt" 2>&1
check "hosts: no proxy password" bash -c "! grep -q '$PROXY_SECRET' '$work/hosts.txt'"

# Every secret set at once, -v and --json: none in any run log or output.
if $root; then
	HF_TOKEN=$TOKEN CN_TEST_HF_TOKEN=$TOKEN cn -v provision pw > "$work/pw.out" 2>&1
	rc=$?
	check "password box: provision exits 0 (got $rc)" test "$rc" = 0
	HF_TOKEN=$TOKEN CN_TEST_HF_TOKEN=$TOKEN cn --json pull pw test-org/gated-model > "$work/pw-json.out" 2>&1
	rc=$?
	check "password box: gated pull with --json exits 0 (got $rc)" test "$rc" = 0
	check "password box: proxy password nowhere on the box" bash -c "! grep -rq '$PROXY_SECRET' '$(boxhome pw)'"
else
	skip "password box" "needs root (sshd password auth)"
fi
HF_TOKEN=$TOKEN CN_TEST_HF_TOKEN=$TOKEN cn -v --json exec ro,gate -- 'echo hello' > "$work/exec.out" 2>&1
check "run logs exist" test -n "$(ls -A "$runs" 2>/dev/null)"
for s in "$TOKEN" "$PROXY_SECRET" "TRUSTs3cret"; do
	check "run logs: no '$s'" bash -c "! grep -rqF '$s' '$runs'"
	check "our output: no '$s'" bash -c "! grep -qF '$s' '$work'/*.out '$work'/*.err '$work/hosts.json' '$work/hosts.txt'"
done

check "no sanitizer report in any cnorch output" bash -c \
	"! grep -lE 'Sanitizer|runtime error:' '$work'/*.out '$work'/*.err 2>/dev/null | grep -v 'hub.err'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
