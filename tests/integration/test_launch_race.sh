#!/usr/bin/env bash
# shellcheck disable=SC1090,SC2016  # box.env paths vary; remote lines stay literal
# Launch is one step on the box: three `cnorch pull` of the same repo started
# at once against one sshd fixture box and the hub stand-in.  Exactly one
# agent job runs, the other run reports it running; the job directory is
# never moved aside and the pull completes.  And a repo name full of shell
# syntax never runs as code on the box (issue 10, item 1).
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"
. "$CNORCH_SRC/tests/integration/agent_lib.sh"

stop_box() { bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$T/box" >/dev/null 2>&1; }
trap 'stop_box; cleanup' EXIT

export HOME=$T/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY
export XDG_STATE_HOME=$T/state
chmod 755 "$T"

cat > "$T/repos.json" <<'JSON'
{ "include_defaults": true,
  "models": {
    "test-org/race-model": { "revision": "main", "files": [
      { "path": "config.json" },
      { "path": "model.safetensors", "size": 2097152, "lfs": true } ] } } }
JSON
start_stub --repos "$T/repos.json"

bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$T/box" >/dev/null 2>"$T/box.err" ||
	{ cat "$T/box.err"; echo "Bail out! box did not start"; exit 1; }
( . "$T/box/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
boxvar() { ( . "$T/box/box.env"; eval "echo \"\$$1\"" ); }
BH=$(boxvar BOX_HOME)

inv=$T/inv.json
( . "$T/box/box.env"
  cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$URL", "modelscope": "$URL" } },
  "hosts": { "box": { "host": "127.0.0.1", "port": $BOX_PORT, "user": "$BOX_USER",
    "identity_file": "$BOX_KEY", "data_dir": "~/data", "connect_timeout": 3 } } }
JSON
)
cn() { "$CNORCH" -i "$inv" "$@"; }

cn provision box > "$T/prov.out" 2>&1
rc=$?
check "provision without pulls: exit 0 (got $rc)" test "$rc" = 0

# Slow enough that the second run arrives while the first job runs.
faults '{"rules": [{"match": "/cdn/", "kind": "rate", "bps": 524288}]}'
cn pull box test-org/race-model > "$T/a.out" 2>&1 &
pa=$!
cn pull box test-org/race-model > "$T/b.out" 2>&1 &
pb=$!
cn pull box test-org/race-model > "$T/c.out" 2>&1 &
pc=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
wait "$pc"; rc=$?
check "race: first run exits 0 (got $ra)" test "$ra" = 0
check "race: second run exits 0 (got $rb)" test "$rb" = 0
check "race: third run exits 0 (got $rc)" test "$rc" = 0
id=test-org--race-model@main
nstarted=$(cat "$T/a.out" "$T/b.out" "$T/c.out" | grep -c "^box: $id started$")
nrunning=$(cat "$T/a.out" "$T/b.out" "$T/c.out" | grep -c "^box: $id already running$")
check "race: exactly one run started the job ($nstarted)" test "$nstarted" = 1
check "race: the others found it running ($nrunning)" test "$nrunning" = 2
check "race: no job directory moved aside" test ! -e "$BH/.cnorch/jobs/.old/$id"
check "race: one agent run in the job (one plan event)" \
	test "$(grep -c '"event":"plan"' "$BH/.cnorch/jobs/$id/events.jsonl")" = 1
check "race: the job is done" grep -q '"state": *"done"' "$BH/.cnorch/jobs/$id/state.json"
check "race: the snapshot is complete" check_snapshot "$BH/data/hf/hub" test-org/race-model
check "race: the lock is not held by the agent" \
	bash -c "flock -n '$BH/.cnorch/jobs/.locks/$id' true"
faults '{"rules": []}'

# A repo name that is shell syntax: whatever the command line says about
# it, nothing of it runs on the box (the canary would land in the remote
# shell's working directory, the box user's HOME).
rm -f "$BH/pwned"
cn pull box 'org/x;touch pwned;#' > "$T/inj1.out" 2>&1
cn pull box 'org/x$(touch pwned)' > "$T/inj2.out" 2>&1
cn pull box 'org/x`touch pwned`' > "$T/inj3.out" 2>&1
cn pull box test-org/race-model --revision "main';touch pwned;'" > "$T/inj4.out" 2>&1
cn pull box test-org/race-model --include "*';touch pwned;'" > "$T/inj5.out" 2>&1
check "injection: nothing ran on the box" test ! -e "$BH/pwned"

finish
