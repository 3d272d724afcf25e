#!/usr/bin/env bash
# shellcheck disable=SC1090,SC1091  # box.env and proxies.env are made here
# cnorch pull --via-laptop-proxy (issue 13) against a box that cannot get
# out: its sshd lives in its own network namespace (tests/fixtures/
# netns-box.sh) whose only link is a veth to the laptop side.  The mirror
# stand-in listens on the box's own loopback (reached directly); a second stand-in as "huggingface.co" on 127.0.0.3 is
# reachable only through the laptop's tinyproxy / danted on 127.0.0.1,
# which the box can reach only through cnorch's SSH remote forward.
# Proves: a model only "overseas" arrives through the lent proxy (http
# CONNECT and socks5h); mirror and ModelScope requests never touch the
# proxy (its log); no proxy variable in the box's login shells afterwards;
# SIGKILL of cnorch mid-file leaves the job waiting (status says so) and
# a second pull with the flag finishes it from the bytes on disk
# (fetched / size <= 1.02, the stand-in's own byte count); logs -f and
# resume with the flag take a waiting job up too; a proxy with a password
# keeps it on the laptop; doctor tells whether the rung is reachable and
# which pulls need it.
# Exit 77 (skip) only when network namespaces are unavailable.
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"
FIX=$CNORCH_SRC/tests/fixtures

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: network namespaces need root"
	exit 77
fi
probe=cnlp-$$
if ! ip netns add "$probe" 2>/dev/null; then
	echo "SKIP: network namespaces unavailable here"
	exit 77
fi
ip netns del "$probe"

. "$CNORCH_SRC/tests/integration/agent_lib.sh"
cn_pid=""
stop_all() {
	[ -n "$cn_pid" ] && kill -9 "$cn_pid" 2>/dev/null
	if [ -f "$T/upstub.pid" ]; then
		kill "$(cat "$T/upstub.pid")" 2>/dev/null
		wait "$(cat "$T/upstub.pid")" 2>/dev/null
		rm -f "$T/upstub.pid"
	fi
	"$FIX/proxies.sh" stop "$T/px" >/dev/null 2>&1
	"$FIX/proxies.sh" stop "$T/pxa" >/dev/null 2>&1
	"$FIX/netns-box.sh" stop "$T/box" >/dev/null 2>&1
}
trap 'stop_all; cleanup' EXIT
chmod 755 "$T"	# the box user's HOME and tinyproxy's log (as nobody) below

export HOME=$T/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset all_proxy ALL_PROXY HTTPS_PROXY HTTP_PROXY no_proxy NO_PROXY
export XDG_STATE_HOME=$T/state

# ---------------------------------------------------------------- the box
if ! "$FIX/netns-box.sh" start "$T/box" >"$T/box.out" 2>&1; then
	echo "Bail out! netns-box.sh start"; cat "$T/box.out"; exit 1
fi
. "$T/box/box.env"
echo "$BOX_KNOWN_HOSTS_LINE" >> "$HOME/.ssh/known_hosts"
bssh() {	# CMD: on the box with OpenSSH, not cnorch
	ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@$BOX_HOST" "$@"
}

# ---------------------------------------------------------------- the hubs
# The mirror (and ModelScope): "domestic", reached straight from the box,
# so it runs in the box's namespace, on its loopback.
cat >"$T/mirror.json" <<'JSON'
{"include_defaults": true}
JSON
ip netns exec "$BOX_NETNS" python3 "$STUB" --host 127.0.0.1 --port 0 --port-file "$T/port" \
	--repos "$T/mirror.json" --log "$T/stub.log" >"$T/stub.out" 2>&1 &
STUB_PID=$!
wait_for 20 test -s "$T/port" || { echo "Bail out! mirror stand-in"; cat "$T/stub.out"; exit 1; }
URL=http://127.0.0.1:$(cat "$T/port")
MIRROR_HP=127.0.0.1:$(cat "$T/port")
# "huggingface.co": laptop loopback only, files capped per connection.
cat >"$T/up.json" <<'JSON'
{"include_defaults": true,
 "models": {
  "test-org/upstream-only": {"revision": "main",
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 4194304, "lfs": true}]},
  "test-org/upstream-big": {"revision": "main",
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 33554432, "lfs": true}]},
  "test-org/upstream-big2": {"revision": "main",
    "files": [{"path": "config.json"},
              {"path": "model.safetensors", "size": 16777216, "lfs": true}]}}}
JSON
python3 "$STUB" --host 127.0.0.3 --port 0 --port-file "$T/up.port" \
	--repos "$T/up.json" --log "$T/up.log" >"$T/up.out" 2>&1 &
echo $! >"$T/upstub.pid"
wait_for 20 test -s "$T/up.port" || { echo "Bail out! upstream stand-in"; exit 1; }
UP=http://127.0.0.3:$(cat "$T/up.port")
upfaults() { curl -sf --noproxy '*' -X POST -d "$1" "$UP/_stub/faults" >/dev/null; }
upstat() { curl -sf --noproxy '*' "$UP/_stub/stats" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

check "fixture: the box cannot reach the overseas stand-in itself" \
	bash -c "! ip netns exec '$BOX_NETNS' curl -s --max-time 3 --noproxy '*' '$UP/_stub/health' -o /dev/null"
check "fixture: the box reaches the mirror" \
	ip netns exec "$BOX_NETNS" curl -sf --max-time 5 --noproxy '*' "$URL/_stub/health" -o /dev/null

# ---------------------------------------------------------------- proxies
if ! "$FIX/proxies.sh" start "$T/px" >"$T/px.out" 2>&1; then
	echo "Bail out! proxies.sh start"; cat "$T/px.out"; exit 1
fi
. "$T/px/proxies.env"

inv=$T/inv.json
cat >"$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict" },
  "hosts": { "box": { "host": "$BOX_HOST", "port": $BOX_PORT,
    "user": "$BOX_USER", "identity_file": "$BOX_KEY", "data_dir": "~/data",
    "connect_timeout": 5,
    "mirrors": { "hf": "$URL", "modelscope": "$URL", "huggingface": "$UP" } } } }
JSON
cn() { "$CNORCH" -i "$inv" "$@"; }

cn provision box >"$T/prov.out" 2>&1
check "provision: exit 0" grep -q '^box: ok' "$T/prov.out"

# ---------------------------------------------------------------- no proxy
cn pull box test-org/upstream-only >"$T/p0.out" 2>&1
rc=$?
check "without the flag: the pull fails naming --via-laptop-proxy (exit $rc)" \
	bash -c "[ $rc -ne 0 ] && grep -q -- '--via-laptop-proxy' '$T/p0.out'"

# ---------------------------------------------------------------- http CONNECT
: > "$HTTP_PROXY_LOG.mark"
https_proxy=$HTTP_PROXY_URL cn pull box test-org/upstream-only --via-laptop-proxy \
	>"$T/p1.out" 2>&1
rc=$?
check "http proxy (from https_proxy): the pull ends ok (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && grep -q 'test-org--upstream-only@main done (' '$T/p1.out'"
snap=$(bssh 'd=~/data/hf/hub/models--test-org--upstream-only; cat $d/snapshots/$(cat $d/refs/main)/model.safetensors | sha256sum | cut -c1-64')
want=$(curl -sf --noproxy '*' "$UP/_stub/repos" | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin) if x["id"]=="test-org/upstream-only"][0]
print([f["sha256"] for f in r["files"] if f["path"]=="model.safetensors"][0])')
check "http proxy: the box has the overseas model's bytes" test "$snap" = "$want"
check "http proxy: tinyproxy tunnelled to the overseas stand-in" \
	grep -q "CONNECT 127.0.0.3:$(cat "$T/up.port")" "$HTTP_PROXY_LOG"
check "http proxy: the mirror was asked first, directly" \
	grep -q '/api/models/test-org/upstream-only' "$T/stub.log"
check "http proxy: no mirror or ModelScope request went through the proxy" \
	bash -c "! grep -q '$MIRROR_HP' '$HTTP_PROXY_LOG'"
no_laptop_url() { ! grep -rqF "$HTTP_PROXY_URL" "$BOX_HOME/.cnorch" "$BOX_HOME/data" 2>/dev/null; }
check "the laptop proxy's URL never reached the box" no_laptop_url
bssh 'bash -lc env; bash -ic env 2>/dev/null' >"$T/env.out" 2>&1
check "no proxy variable in the box's shells afterwards" \
	bash -c "! grep -iqE '^(https?|all)_proxy=|^no_proxy=' '$T/env.out'"
check "nothing about a proxy in env.sh" \
	bash -c "! grep -iq 'proxy' '$BOX_HOME/.cnorch/env.sh'"
# The box's listeners now: its sshd and the mirror; nothing else.
forward_gone() {
	ip netns exec "$BOX_NETNS" ss -ltnH | awk '{print $4}' >"$T/ss.out"
	! grep -v -e ":$BOX_PORT\$" -e "^$MIRROR_HP\$" "$T/ss.out" | grep -q .
}
# (sshd drops the listener once it has seen the connection end)
check "the forward is closed when the pull ends (no listener left on the box)" \
	wait_for 10 forward_gone

# ---------------------------------------------------------------- socks5h
bssh 'rm -rf ~/data/hf/hub/models--test-org--upstream-only ~/.cnorch/jobs/test-org--upstream-only*'
cn pull box test-org/upstream-only --via-laptop-proxy="$SOCKS_PROXY_URL" >"$T/p2.out" 2>&1
rc=$?
check "socks5h proxy: the pull ends ok (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && grep -q 'test-org--upstream-only@main done (' '$T/p2.out'"
check "socks5h proxy: danted carried the overseas connections" \
	grep -q "127.0.0.3.$(cat "$T/up.port")" "$SOCKS_PROXY_LOG"

# ---------------------------------------------------------------- credentials
# The laptop's proxy wants a password: the laptop does the handshake, the
# box only ever sees its plain forward, never the credentials.
if ! "$FIX/proxies.sh" start "$T/pxa" --http-auth cnuser:s3cr3t-pw >"$T/pxa.out" 2>&1; then
	echo "Bail out! proxies.sh start --http-auth"; cat "$T/pxa.out"; exit 1
fi
AUTH_URL=$(. "$T/pxa/proxies.env"; echo "$HTTP_PROXY_URL")
AUTH_LOG=$(. "$T/pxa/proxies.env"; echo "$HTTP_PROXY_LOG")
bssh 'rm -rf ~/data/hf/hub/models--test-org--upstream-only ~/.cnorch/jobs/test-org--upstream-only*'
cn pull box test-org/upstream-only --via-laptop-proxy="$AUTH_URL" >"$T/p5.out" 2>&1
rc=$?
check "credentialed proxy: the pull ends ok (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && grep -q 'test-org--upstream-only@main done (' '$T/p5.out'"
check "credentialed proxy: it tunnelled with the credentials" \
	grep -q "CONNECT 127.0.0.3:$(cat "$T/up.port")" "$AUTH_LOG"
no_password() { ! grep -rqF 's3cr3t-pw' "$BOX_HOME" "$T/p5.out" 2>/dev/null; }
check "credentialed proxy: the password is nowhere on the box nor in the output" no_password

# ---------------------------------------------------------------- inventory
# A pull with "via_laptop_proxy": URL in the inventory, under provision.
bssh 'rm -rf ~/data/hf/hub/models--test-org--upstream-only ~/.cnorch/jobs/test-org--upstream-only*'
python3 - "$inv" "$T/inv2.json" "$SOCKS_PROXY_URL" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
inv["hosts"]["box"]["pulls"] = [{"repo": "test-org/upstream-only",
                                 "via_laptop_proxy": sys.argv[3]}]
json.dump(inv, open(sys.argv[2], "w"))
PY
"$CNORCH" -i "$T/inv2.json" provision box >"$T/prov2.out" 2>&1
rc=$?
check "inventory via_laptop_proxy: provision brings the overseas model (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && test -L '$BOX_HOME'/data/hf/hub/models--test-org--upstream-only/snapshots/*/model.safetensors"

# ---------------------------------------------------------------- doctor
"$CNORCH" -i "$T/inv2.json" doctor box --no-well-known --timeout 3 >"$T/d1.out" 2>&1
check "doctor: names the pull only huggingface.co has" \
	grep -q '^box: warn upstream_pulls: .*test-org/upstream-only' "$T/d1.out"
check "doctor: without a proxy the huggingface.co rung is not reachable" \
	grep -q "^box: warn upstream: $UP is not reachable: no proxy" "$T/d1.out"
"$CNORCH" -i "$T/inv2.json" doctor box --no-well-known --timeout 3 \
	--via-laptop-proxy="$HTTP_PROXY_URL" >"$T/d2.out" 2>&1
check "doctor --via-laptop-proxy: the rung is reachable through the laptop's proxy" \
	grep -q "^box: ok   upstream: $UP reachable through this laptop's proxy" "$T/d2.out"

# ---------------------------------------------------------------- laptop gone
# Job A: cnorch killed mid-file once, the same pull again finishes it; the
# stand-in's byte count (reset first) proves it went on from the disk.
# 200 kB/s a connection: the pull is still under way when cnorch dies.
upfaults '{"conn_rate_bps": 200000}'
curl -sf --noproxy '*' -X POST "$UP/_stub/reset-stats" >/dev/null
job=test-org--upstream-big@main
# Bytes of $job on the box's disk, as its state.json counts them (the
# partial blob is sparse: its size says nothing).
size_now() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("bytes_done", 0))' \
		"$BOX_HOME/.cnorch/jobs/$job/state.json" 2>/dev/null || echo 0
}
under_way() { [ "$(size_now)" -gt 3000000 ]; }
moved_on() { [ "$(size_now)" -gt $((before + 1000000)) ]; }
forward_open() { ! forward_gone; }
shows_waiting() { cn status box >"$T/st.out" 2>&1; grep -q "$job waiting: laptop proxy gone" "$T/st.out"; }
agent_alive() {
	local pid
	pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
		"$BOX_HOME/.cnorch/jobs/$job/state.json")
	kill -0 "$pid"
}
laptop_goes() {	# kill -9 the background cnorch
	kill -9 "$cn_pid"
	wait "$cn_pid" 2>/dev/null
	cn_pid=""
}
no_stall() { ! grep -q '"event":"stall"' "$BOX_HOME/.cnorch/jobs/$job/events.jsonl"; }
said_waiting() { grep -q '"event":"waiting"' "$BOX_HOME/.cnorch/jobs/$job/events.jsonl"; }

"$CNORCH" -i "$inv" pull box test-org/upstream-big --via-laptop-proxy="$HTTP_PROXY_URL" \
	>"$T/p3.out" 2>&1 &
cn_pid=$!
check "laptop gone: the file was under way" wait_for 60 under_way
check "while the pull runs, the forward listens on the box's loopback" forward_open
laptop_goes
check "laptop gone: status shows 'waiting: laptop proxy gone'" wait_for 90 shows_waiting
check "laptop gone: the agent still runs" agent_alive
upfaults '{}'
cn pull box test-org/upstream-big --via-laptop-proxy="$HTTP_PROXY_URL" >"$T/p4.out" 2>&1
rc=$?
check "re-attach: the same pull re-attaches, not restarts, and finishes (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && grep -q '$job already running' '$T/p4.out' && grep -q '$job done (' '$T/p4.out'"
total=$(curl -sf --noproxy '*' "$UP/_stub/repos" | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin) if x["id"]=="test-org/upstream-big"][0]
print(sum(f["size"] for f in r["files"]))')
sent=$(upstat 'd["bytes_sent"]')
check "re-attach: continued from the bytes on disk (sent $sent of $total)" \
	python3 -c "assert $sent <= 1.02 * $total, ($sent, $total)"
check "re-attach: no connection hung in the forward (no stall event)" no_stall
check "re-attach: the job said it waited" said_waiting

# Job B: the other ways back, each interrupted in turn: logs -f, then
# resume, both with the flag.
# Slow enough that B is still running after its forward dropped and moved
# on, when the laptop goes.
upfaults '{"conn_rate_bps": 150000}'
job=test-org--upstream-big2@main
"$CNORCH" -i "$inv" pull box test-org/upstream-big2 --via-laptop-proxy="$HTTP_PROXY_URL" \
	>"$T/p6.out" 2>&1 &
cn_pid=$!
check "B: the file was under way" wait_for 60 under_way
# The forward's own SSH connection drops while cnorch follows: its sshd
# on the box goes.  cnorch notices the job waiting, lends again on a new
# port, and the job goes on.
lent_port() { sed -n 's|^http://127.0.0.1:\([0-9]*\)$|\1|p' "$BOX_HOME/.cnorch/jobs/$job/proxy" 2>/dev/null; }
port1=$(lent_port)
fpid=$(ip netns exec "$BOX_NETNS" ss -ltnpH "sport = :${port1:-0}" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
check "B: the forward's sshd on the box is found (port ${port1:-?}, pid ${fpid:-?})" test -n "$fpid"
[ -n "$fpid" ] && kill "$fpid"
new_port() { p=$(lent_port); [ -n "$p" ] && [ "$p" != "$port1" ]; }
check "B: forward dropped: cnorch lends again on a new port" wait_for 90 new_port
before=$(size_now)
check "B: forward dropped: the job moves on" wait_for 60 moved_on
check "B: forward dropped: cnorch still follows" kill -0 "$cn_pid"
laptop_goes
check "B: status shows 'waiting: laptop proxy gone'" wait_for 90 shows_waiting
before=$(size_now)
"$CNORCH" -i "$inv" logs box "$job" -f --via-laptop-proxy="$HTTP_PROXY_URL" >"$T/l1.out" 2>&1 &
cn_pid=$!
check "B: logs -f --via-laptop-proxy: the waiting job moves on" wait_for 60 moved_on
laptop_goes
check "B: laptop gone again: status shows waiting" wait_for 90 shows_waiting
upfaults '{}'
cn resume box --via-laptop-proxy="$HTTP_PROXY_URL" >"$T/r1.out" 2>&1
rc=$?
check "B: resume --via-laptop-proxy takes up the waiting job and finishes it (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && grep -q '$job already running (was waiting)' '$T/r1.out' && grep -q '$job done' '$T/r1.out'"
check "B: no connection hung in the forward (no stall event)" no_stall

finish
