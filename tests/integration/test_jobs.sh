#!/usr/bin/env bash
# shellcheck disable=SC1090,SC2016  # box.env paths vary; remote lines stay literal
# Fleet mode and job control end to end: four sshd fixture boxes
# (tests/fixtures/sshd-box.sh) and the hub stand-in on 127.0.0.1, an
# inventory with a group, the laptop's HOME a temporary directory.  What
# the boxes really run is checked from outside cnorch (pgrep, state.json
# read over OpenSSH), not from cnorch's own words.
#
#   provision all / one sshd down (exit 3, @failed) / SIGKILL mid-pull and
#   logs -f / stalled job, status, resume --stalled / stop and the process
#   group / exec exit codes / piped lines prefixed / --json lines.
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"
# ok/notok/check/wait_for/start_stub/faults, $T, $URL, cleanup on EXIT.
. "$CNORCH_SRC/tests/integration/agent_lib.sh"

boxes=()
cn_pid=""
stop_boxes() {
	local b
	[ -n "$cn_pid" ] && kill -9 "$cn_pid" 2>/dev/null
	for b in "${boxes[@]+"${boxes[@]}"}"; do
		bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$T/$b" >/dev/null 2>&1
	done
}
trap 'stop_boxes; cleanup' EXIT

# ---------------------------------------------------------------- laptop
export HOME=$T/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY
export XDG_STATE_HOME=$T/state
chmod 755 "$T"

# ---------------------------------------------------------------- hub
cat > "$T/repos.json" <<'JSON'
{ "include_defaults": true,
  "models": {
    "test-org/slow-model": { "revision": "main", "files": [
      { "path": "config.json" },
      { "path": "model.safetensors", "size": 3145728, "lfs": true } ] },
    "test-org/stall-model": { "revision": "main", "files": [
      { "path": "config.json" },
      { "path": "model.safetensors", "size": 4194304, "lfs": true } ] },
    "test-org/stop-model": { "revision": "main", "files": [
      { "path": "config.json" },
      { "path": "model.safetensors", "size": 67108864, "lfs": true } ] } } }
JSON
start_stub --repos "$T/repos.json"

# ---------------------------------------------------------------- boxes
root=false
[ "$(id -u)" = 0 ] && root=true
start_box() {	# NAME
	local name=$1
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$T/$name" \
		>/dev/null 2>"$T/$name.err" || { cat "$T/$name.err"; return 1; }
	( . "$T/$name/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
}
spids=()
for b in box1 box2 box3 box4; do
	start_box "$b" &
	spids+=($!)
done
wait "${spids[@]}"
for b in box1 box2 box3 box4; do
	[ -s "$T/$b/box.env" ] || { echo "Bail out! box $b did not start"; exit 1; }
	boxes+=("$b")
done
bssh() {	# NAME CMD: run CMD on the box with OpenSSH, not cnorch
	local name=$1; shift
	( . "$T/$name/box.env"
	  ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@" )
}
boxvar() { ( . "$T/$1/box.env"; eval "echo \"\$$2\"" ); }
# Agent processes of a box: its user, and its HOME in the agent's path.
agents() { pgrep -u "$(boxvar "$1" BOX_USER)" -f "$(boxvar "$1" BOX_HOME)/.cnorch/payload/" ; }
no_agents() { ! agents "$1" >/dev/null; }
sshd_down() {
	local pid; pid=$(cat "$T/$1/sshd.pid")
	kill "$pid"; wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
}
sshd_up() { /usr/sbin/sshd -f "$T/$1/sshd_config" -E "$T/$1/sshd.log"; wait_for 5 test -s "$T/$1/sshd.pid"; }

host_json() {
	( . "$T/$1/box.env"
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s", "identity_file": "%s", "data_dir": "~/data", "connect_timeout": 3 }' \
		"$1" "$BOX_PORT" "$BOX_USER" "$BOX_KEY" )
}
inv=$T/inv.json
cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$URL", "modelscope": "$URL" },
    "pulls": [ { "repo": "test-org/tiny-model" } ] },
  "groups": { "fleet": ["box1", "box2", "box3", "box4"] },
  "hosts": { $(host_json box1), $(host_json box2), $(host_json box3), $(host_json box4) } }
JSON
# Not for background runs: $! would be the function's subshell, not cnorch.
cn() { "$CNORCH" -i "$inv" "$@"; }
# Every line of the files starts with one of the box names and ': '.
# A host, or the recap's folded host list ("box[1-3]: ok").
prefixed() { ! grep -hvE '^box([1-4]|\[[0-9,-]+\]): ' "$@"; }
json_lines() {	# FILE...: every line an object with a host
	python3 - "$@" <<'PY'
import json, sys
n = 0
for f in sys.argv[1:]:
    for line in open(f):
        o = json.loads(line)
        assert isinstance(o, dict) and o["host"].startswith("box"), line
        n += 1
sys.exit(0 if n > 0 else 1)
PY
}
t0=$SECONDS

# ---------------------------------------------------------------- one box down
sshd_down box4
cn provision fleet > "$T/p1.out" 2> "$T/p1.err"
rc=$?
check "box4 down: provision exits 3 (got $rc)" test "$rc" = 3
check "box4 down: reported unreachable" grep -qx 'box4: unreachable' "$T/p1.out"
for b in box1 box2 box3; do
	check "box4 down: $b completes" grep -q "^$b: test-org/tiny-model@main done" "$T/p1.out"
done
check "box4 down: piped output is line-prefixed" prefixed "$T/p1.out" "$T/p1.err"
sshd_up box4
cn provision @failed > "$T/p2.out" 2>&1
rc=$?
check "@failed: exit 0 (got $rc)" test "$rc" = 0
check "@failed: targets box4 only" bash -c "grep -q '^box4: ' '$T/p2.out' && ! grep -qv '^box4: ' '$T/p2.out'"
check "@failed: box4 completes" grep -q '^box4: test-org/tiny-model@main done' "$T/p2.out"
cn provision all > "$T/p3.out" 2>&1
rc=$?
check "provision all: exit 0 (got $rc)" test "$rc" = 0
for b in box1 box2 box3 box4; do
	check "provision all: $b ok" grep -Eq "^$b: ok=[0-9]+ changed=0 failed=0$" "$T/p3.out"
done
check "provision all: recap folds the identical hosts" grep -qx 'box\[1-4\]: ok' "$T/p3.out"
check "box4 down: recap names the unreachable one apart" bash -c "grep -qx 'box\[1-3\]: changed' '$T/p1.out' || grep -qx 'box\[1-3\]: ok' '$T/p1.out'"
# Each host's full output stays on the laptop, one log per host per run.
runlog=$(ls -d "$XDG_STATE_HOME"/cnorch/runs/*-provision-* 2>/dev/null | head -n1)
check "run log: one file per host" bash -c "for b in box1 box2 box3; do test -s '$runlog/'\$b.log || exit 1; done"
check "run log: holds the job's events" grep -q '"event":"done"' "$runlog/box1.log"
check "run log: private to the user" test "$(stat -c %a "$runlog")" = 700

# ---------------------------------------------------------------- status
cn status all > "$T/s1.out" 2> "$T/s1.err"
rc=$?
check "status all: exit 0 (got $rc)" test "$rc" = 0
check "status all: piped output is line-prefixed" prefixed "$T/s1.out" "$T/s1.err"
for b in box1 box2 box3 box4; do
	check "status all: $b job done" grep -Eq "^$b: test-org--tiny-model@main done 100% " "$T/s1.out"
	check "status all: $b disk free" grep -Eq "^$b: disk $(boxvar $b BOX_HOME)/data: [0-9.]+ [KMGT]iB free of " "$T/s1.out"
done
cn --json status all > "$T/s2.out" 2> "$T/s2.err"
check "status --json: every line parses, with host" json_lines "$T/s2.out"
check "status --json: a job object per box" python3 - "$T/s2.out" <<'PY'
import json, sys
jobs = [json.loads(l) for l in open(sys.argv[1])]
hosts = {o["host"] for o in jobs if o.get("event") == "job" and o["state"] == "done"
         and o["bytes_done"] == o["bytes_total"] > 0}
sys.exit(0 if hosts == {"box1", "box2", "box3", "box4"} else 1)
PY
rm -rf "$T/nobox"
mv "$(boxvar box4 BOX_HOME)/.cnorch/payload" "$T/nobox"
cn status box4 > "$T/s3.out" 2>&1
rc=$?
mv "$T/nobox" "$(boxvar box4 BOX_HOME)/.cnorch/payload"
check "status without payload: exit 1 (got $rc)" test "$rc" = 1
check "status without payload: says how" grep -qx "box4: cnorch is not set up on this box; run 'cnorch provision box4'" "$T/s3.out"

# ---------------------------------------------------------------- SIGKILL mid-pull
faults '{"rules": [{"match": "/cdn/", "kind": "rate", "bps": 131072}]}'
"$CNORCH" -i "$inv" pull box1 test-org/slow-model > "$T/k1.out" 2>&1 &
cn_pid=$!
if wait_for 30 grep -q '^box1: test-org--slow-model@main progress' "$T/k1.out"; then
	kill -9 "$cn_pid"
	wait "$cn_pid" 2>/dev/null
	cn_pid=""
	check "SIGKILL: the remote download keeps running" agents box1
	"$CNORCH" -i "$inv" logs box1 test-org/slow-model -f > "$T/k2.out" 2> "$T/k2.err" &
	cn_pid=$!
	# As root the box has its own user: cut the follow's connection
	# (its sshd session process) once the replay is out.
	if $root && wait_for 20 grep -q ' plan ' "$T/k2.out"; then
		spid=$(pgrep -n -u "$(boxvar box1 BOX_USER)" -f '^sshd: .*@notty')
		[ -n "$spid" ] && kill "$spid"
	fi
	wait "$cn_pid"
	rc=$?
	cn_pid=""
	check "logs -f: exit 0 (got $rc)" test "$rc" = 0
	if $root; then
		check "logs -f: a lost connection is said on one line" \
			grep -qx 'box1: connection lost; reconnecting (attempt 1)' "$T/k2.err"
	fi
	check "logs -f: replays from the plan" grep -q '^box1: test-org--slow-model@main plan 2 files' "$T/k2.out"
	check "logs -f: ends at the done event" bash -c "tail -n 1 '$T/k2.out' | grep -q '^box1: test-org--slow-model@main done ok '"
	check "logs -f: every file once" test "$(grep -c ' file_done ' "$T/k2.out")" = 2
	check "logs -f: line-prefixed" prefixed "$T/k2.out" "$T/k2.err"
else
	notok "SIGKILL: pull never showed progress" "$T/k1.out"
	kill -9 "$cn_pid" 2>/dev/null
	cn_pid=""
fi
faults '{"rules": []}'
cn --json logs box1 > "$T/k3.out" 2>&1
check "logs --json: every line parses, with host" json_lines "$T/k3.out"

# ---------------------------------------------------------------- stalled
faults '{"rules": [{"match": "/cdn/", "kind": "stall", "after_bytes": 100000}]}'
cn pull box2 test-org/stall-model --no-wait > "$T/st1.out" 2>&1
rc=$?
check "stall: pull --no-wait exits 0 (got $rc)" test "$rc" = 0
stalled() { cn status box2 --stall-after 3 > "$T/st2.out" 2>&1; grep -q '^box2: test-org--stall-model@main stalled' "$T/st2.out"; }
check "stall: status shows the job stalled" wait_for 20 stalled
cn status box2 --stall-after 3 > "$T/st2.out" 2>&1
rc=$?
check "stall: status exit 1 (got $rc)" test "$rc" = 1
check "stall: without --stalled nothing is touched" bash -c "'$CNORCH' -i '$inv' resume box2 --stall-after 3 | grep -qx 'box2: nothing to resume'"
faults '{"rules": []}'
cn resume box2 --stalled --stall-after 3 > "$T/st3.out" 2>&1
rc=$?
check "resume --stalled: exit 0 (got $rc)" test "$rc" = 0
check "resume --stalled: restarted" grep -q '^box2: test-org--stall-model@main restarted (was stalled)' "$T/st3.out"
check "resume --stalled: finished" grep -q '^box2: test-org--stall-model@main done ok ' "$T/st3.out"
check "resume --stalled: line-prefixed" prefixed "$T/st3.out"
check "resume --stalled: state.json says done" bssh box2 'grep -q "\"state\": *\"done\"" ~/.cnorch/jobs/test-org--stall-model@main/state.json'

# ---------------------------------------------------------------- stop
faults '{"rules": [{"match": "/cdn/", "kind": "rate", "bps": 131072}]}'
cn pull box3 test-org/stop-model --no-wait > "$T/sp1.out" 2>&1
check "stop: the job runs" wait_for 10 agents box3
# Ctrl-C on a follow leaves, exit 0, and the job goes on.
"$CNORCH" -i "$inv" logs box3 -f > "$T/sp0.out" 2>&1 &
cn_pid=$!
if wait_for 20 grep -q ' plan ' "$T/sp0.out"; then
	kill -INT "$cn_pid"
	wait "$cn_pid"
	rc=$?
	check "logs -f, Ctrl-C: exit 0 (got $rc)" test "$rc" = 0
	check "logs -f, Ctrl-C: the job still runs" agents box3
else
	notok "logs -f never replayed the plan" "$T/sp0.out"
	kill -9 "$cn_pid" 2>/dev/null
fi
cn_pid=""
pgid=$(bssh box3 'sed -n "s/.*\"pgid\": *\([0-9]*\).*/\1/p" ~/.cnorch/jobs/test-org--stop-model@main/state.json')
cn stop box3 > "$T/sp2.out" 2>&1
rc=$?
check "stop: exit 0 (got $rc)" test "$rc" = 0
check "stop: reported" grep -qx 'box3: test-org--stop-model@main stopped' "$T/sp2.out"
check "stop: no agent process left for the box" wait_for 10 no_agents box3
gone() {	# nothing left in the job's process group
	[ -n "$pgid" ] && ! ps -eo pid=,pgid=,stat=,args= |
		awk -v g="$pgid" '$2 == g { print; f = 1 } END { exit !f }'
}
check "stop: its process group is empty (pgid $pgid)" wait_for 5 gone
cn status box3 > "$T/sp3.out" 2>&1
check "stop: status says stopped" grep -q '^box3: test-org--stop-model@main stopped' "$T/sp3.out"
cn stop box3 nosuch/job > "$T/sp4.out" 2>&1
rc=$?
check "stop: unknown job exit 1 (got $rc)" test "$rc" = 1
faults '{"rules": []}'

# ---------------------------------------------------------------- exec
cn exec all -- 'case $HOME in */box2/*) echo two; exit 3;; esac; echo fine' > "$T/e1.out" 2> "$T/e1.err"
rc=$?
check "exec: one box exits 3, cnorch exits 1 (got $rc)" test "$rc" = 1
check "exec: box2 says exit 3" grep -qx 'box2: exit 3' "$T/e1.err"
check "exec: the others answer" test "$(grep -c ': fine$' "$T/e1.out")" = 3
check "exec: line-prefixed" prefixed "$T/e1.out" "$T/e1.err"

# ---------------------------------------------------------------- sources
# An agent that says which hub carried the bytes (issue 11: "sources" in
# file_done and done): a finished job's last event names them, and status
# shows the split.  The event is written the way the agent writes it.
ev1="$(boxvar box1 BOX_HOME)/.cnorch/jobs/test-org--tiny-model@main/events.jsonl"
printf '{"ts":%s,"job":"test-org--tiny-model@main","event":"done","status":"ok","bytes":5368709120,"elapsed_s":1,"sources":{"hf":3221225472,"modelscope":2147483648}}\n' \
	"$(date +%s)" >> "$ev1"
cn status box1 > "$T/src1.out" 2>&1
check "sources: status shows the bytes per hub" grep -Eq '^box1: test-org--tiny-model@main done .*\(hf 3\.0 GiB \+ ms 2\.0 GiB\)' "$T/src1.out"
cn --json status box1 > "$T/src2.out" 2>&1
check "sources: status --json has them" python3 - "$T/src2.out" <<'PY'
import json, sys
jobs = [json.loads(l) for l in open(sys.argv[1])]
src = [o.get("sources") for o in jobs if o.get("event") == "job"
       and o["job"] == "test-org--tiny-model@main"]
# At least the synthetic done's bytes: the real pull's own per-source bytes
# add to both (its mirror and ModelScope are the same stand-in).
sys.exit(0 if src and src[0]["modelscope"] >= 2147483648 and src[0]["hf"] >= 3221225472 else 1)
PY
cn logs box1 > "$T/src3.out" 2>&1
check "sources: logs says them on the done line" grep -q ' done ok .*(hf 3.0 GiB + ms 2.0 GiB)' "$T/src3.out"

# ---------------------------------------------------------------- usage
cn logs > /dev/null 2>&1
rc=$?
check "logs without TARGET: exit 2 (got $rc)" test "$rc" = 2
cn resume box1 --bogus > /dev/null 2>&1
rc=$?
check "resume with an unknown option: exit 2 (got $rc)" test "$rc" = 2

echo "# took $((SECONDS - t0)) s"
# CNORCH_TEST_KEEP=DIR keeps what cnorch printed, to look at.
if [ -n "${CNORCH_TEST_KEEP:-}" ]; then
	mkdir -p "$CNORCH_TEST_KEEP" && cp "$T"/*.out "$T"/*.err "$CNORCH_TEST_KEEP"/ 2>/dev/null
fi
finish
