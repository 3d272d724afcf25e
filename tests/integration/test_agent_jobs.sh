#!/usr/bin/env bash
# Detached pulls: the job outlives the shell that started it, state.json
# and events.jsonl tell its story, status spots a dead job, stop ends the
# whole process group and the next run resumes.
. "$(dirname "$0")/agent_lib.sh"

cat >"$T/repos.json" <<'EOF'
{"include_defaults": true,
 "models": {"test-org/mid-model": {"revision": "main", "files": [
	{"path": "config.json"},
	{"path": "model.safetensors", "size": 33554432, "lfs": true}]}}}
EOF
start_stub --repos "$T/repos.json"
REPO=test-org/mid-model

# jstate DIR KEY: a field of DIR/state.json.
jstate() { python3 -c "import json; print(json.load(open('$1/state.json'))['$2'])" 2>/dev/null; }
# jstatus DIR: the state `status --json` reports.
jstatus() { "$AGENT" status --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['state'])"; }
export -f jstate jstatus
export AGENT
# --- a job outlives its parent shell -----------------------------------------
H1=$T/hub1
J1=$T/jobs/one
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":3000000}]}'
# The shell stays after the agent returns, so killing it is a real test.
HF_TOKEN=hf_secret_token setsid bash -c "
	echo \$\$ >'$T/shell.pid'
	'$AGENT' pull --endpoint '$URL' --repo $REPO --cache-dir '$H1' --source hf \
		-x 2 --detach --job-dir '$J1' >'$T/detach.out' 2>&1
	echo \$? >'$T/detach.rc'
	exec sleep 60" &
disown
wait_for 10 test -s "$T/detach.rc"
shell=$(cat "$T/shell.pid")
check "pull --detach returns 0 and names the job" bash -c \
	"[ \"\$(cat '$T/detach.rc')\" = 0 ] && grep -q 'started job $J1 (pid' '$T/detach.out'"
check "state.json was there when the parent returned" test -f "$J1/state.json"
pid=$(jstate "$J1" pid)
echo "$pid" >"$T/job1.pid"
check "job.json records what was asked" grep -q '"repo": "test-org/mid-model"' "$J1/job.json"
check "the job has its own session and process group" bash -c "
	[ \"\$(ps -o sid= -p $pid | tr -d ' ')\" != \"$shell\" ] &&
	[ \"\$(ps -o pgid= -p $pid | tr -d ' ')\" != \"$shell\" ] &&
	[ \"\$(ps -o pgid= -p $pid | tr -d ' ')\" = \"$(jstate "$J1" pgid)\" ]"
# End the parent shell the way a dropped SSH session does.
kill -HUP -- -"$shell" 2>/dev/null
kill -KILL -- -"$shell" 2>/dev/null
wait_for 5 bash -c "! kill -0 $shell"
check "the job survives its parent shell" kill -0 "$pid"
check "status reads it as running" test "$(jstatus "$J1")" = running

# Meanwhile: a second agent on the same cache and the same job dir.
"$AGENT" pull --endpoint "$URL" --repo $REPO --cache-dir "$H1" --source hf \
	--detach --job-dir "$T/jobs/other" >"$T/lock.out" 2>&1
check "a second job on the same repo dir is refused at once (exit 5)" test $? -eq 5
"$AGENT" pull --endpoint "$URL" --repo $REPO --cache-dir "$T/hub-x" --source hf \
	--detach --job-dir "$J1" >"$T/inuse.out" 2>&1
check "a job dir in use is refused (exit 5)" test $? -eq 5

faults '{"rules":[]}'
wait_for 60 bash -c "[ \"\$(jstate '$J1' state)\" = done ]"
check "the job finishes: state done" test "$(jstate "$J1" state)" = "done"
check "status reads it as done" test "$(jstatus "$J1")" = "done"
check "its files verify" check_snapshot "$H1" $REPO
check "bytes_done = bytes_total in state.json" \
	test "$(jstate "$J1" bytes_done)" = "$(jstate "$J1" bytes_total)"
check "events.jsonl: JSON lines with plan, progress, done ok and the job id" python3 -c "
import json
ev = [json.loads(l) for l in open('$J1/events.jsonl')]
kinds = [e['event'] for e in ev]
assert 'plan' in kinds and 'progress' in kinds, kinds
assert ev[-1]['event'] == 'done' and ev[-1]['status'] == 'ok', ev[-1]
assert all(e['job'] == 'one' for e in ev)"
check "no secret in the job dir" bash -c "! grep -r hf_secret_token '$J1'"
rm -f "$T/job1.pid"

# --- stop ends the job; the next run resumes --------------------------------------
H2=$T/hub2
J2=$T/jobs/two
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":1000000}]}'
"$AGENT" pull --endpoint "$URL" --repo $REPO --cache-dir "$H2" --source hf \
	-x 2 --detach --job-dir "$J2" >/dev/null 2>&1
pid=$(jstate "$J2" pid)
echo "$pid" >"$T/job2.pid"
wait_for 20 bash -c "[ \"\$(jstate '$J2' bytes_done)\" -gt 1000000 ]"
"$AGENT" stop --timeout 10 "$J2" >"$T/stop.out" 2>&1
check "stop exits 0" test $? -eq 0
check "the job's process is gone" bash -c "! kill -0 $pid 2>/dev/null ||
	[ \"\$(ps -o stat= -p $pid | cut -c1)\" = Z ]"
check "state.json says stopped" test "$(jstate "$J2" state)" = stopped
check "the last event is done/stopped" bash -c \
	"tail -1 '$J2/events.jsonl' | grep -q '\"event\":\"done\",\"status\":\"stopped\"'"
check "partial data and its control file are kept" bash -c \
	"ls '$H2'/models--test-org--mid-model/blobs/*.incomplete.cnorch"
rm -f "$T/job2.pid"
faults '{"rules":[]}'
reset_stats
check "the next run resumes and completes" pull --repo $REPO --cache-dir "$H2" \
	--source hf -x 2
check "resumed files verify" check_snapshot "$H2" $REPO
size=$(stub_size $REPO model.safetensors)
check "the next run fetched less than the file" \
	test "$(stub_stat 'd["bytes_sent"]')" -lt "$size"

# --- a job killed hard shows as dead; stop records it ---------------------------
H3=$T/hub3
J3=$T/jobs/three
faults '{"rules":[{"match":"/cdn/","kind":"rate","bps":1000000}]}'
"$AGENT" pull --endpoint "$URL" --repo $REPO --cache-dir "$H3" --source hf \
	--detach --job-dir "$J3" >/dev/null 2>&1
pid=$(jstate "$J3" pid)
kill -9 "$pid"
wait_for 5 bash -c "[ \"\$('$AGENT' status --json '$J3' | grep -o dead)\" = dead ]"
check "status reports a killed job as dead" test "$(jstatus "$J3")" = dead
"$AGENT" status "$J3" >"$T/status.out"
check "human status too" grep -q "$J3: dead" "$T/status.out"
check "stop on a dead job records stopped" bash -c \
	"'$AGENT' stop '$J3' >/dev/null && [ \"\$(jstatus '$J3')\" = stopped ]"
faults '{"rules":[]}'
"$AGENT" status "$T/jobs/nothing" >/dev/null 2>&1
check "status of a dir without a job exits 3" test $? -eq 3

finish
