#!/usr/bin/env bash
# cnorch doctor and mirrors "auto", end to end: real sshd boxes
# (tests/fixtures/sshd-box.sh) and three hub stand-ins on 127.0.0.1, one
# fast, one slow (a "rate" rule on everything), one failing (503 on
# everything).  Only loopback addresses: every run passes --no-well-known
# and the "auto" candidates come from the inventory's mirror_candidates.
#
# What a box ends up with is read over SSH (pip.conf), traps are planted
# by editing the box's dotfiles over SSH, and each must come back as a
# failed check with its fix and exit 1; a clean box must exit 0.
# shellcheck disable=SC1090  # box.env files are made at run time
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
skip() { echo "ok - $1 # skip $2"; pass=$((pass + 1)); }

work=$(mktemp -d /tmp/cnorch-doctor.XXXXXX)
chmod 755 "$work"
boxes=()
pids=()
shm=""
cleanup() {
	local b p
	for b in "${boxes[@]+"${boxes[@]}"}"; do
		bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$work/$b" >/dev/null 2>&1
	done
	for p in "${pids[@]+"${pids[@]}"}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "$shm" ] && rm -rf "$shm"
	if [ -n "${CNORCH_TEST_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
unset CNORCH_PYPI_CANDIDATES CNORCH_CONDA_CANDIDATES
export XDG_STATE_HOME=$work/state

# ---------------------------------------------------------------- hubs
# start_hub NAME [FAULTS_JSON]: sets hub_url
start_hub() {
	local name=$1 faults=${2:-} args=()
	if [ -n "$faults" ]; then
		printf '%s\n' "$faults" > "$work/$name.faults"
		args=(--faults "$work/$name.faults")
	fi
	python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 \
		--port-file "$work/$name.port" "${args[@]}" 2>"$work/$name.err" &
	pids+=($!)
	wait_for 100 test -s "$work/$name.port" || { echo "Bail out! hub $name did not start"; cat "$work/$name.err"; exit 1; }
	hub_url=http://127.0.0.1:$(cat "$work/$name.port")
}
start_hub fast && FAST=$hub_url
start_hub slow '{"rules":[{"match":"/","kind":"rate","bps":200000}]}' && SLOW=$hub_url
start_hub failing '{"rules":[{"match":"/","kind":"status","code":503}]}' && FAILING=$hub_url

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
CLOSED=http://127.0.0.1:$(free_port)
# A listener that accepts and never answers.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$work/hole.port" 2>/dev/null &
pids+=($!)
wait_for 100 test -s "$work/hole.port" || { echo "Bail out! black hole did not start"; exit 1; }
HOLE=http://127.0.0.1:$(cat "$work/hole.port")

# ---------------------------------------------------------------- boxes
root=false
[ "$(id -u)" = 0 ] && root=true
start_box() {	# NAME [fixture options]
	local name=$1; shift
	if $root; then
		set -- "$@" --password "unused-$RANDOM$RANDOM"
	fi
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
		-o ConnectTimeout=10 -i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@" )
}
boxhome() { ( . "$work/$1/box.env"; echo "$BOX_HOME" ); }

start_box doc || exit 1
start_box trap || exit 1
start_box full --df-avail-kb 1000 || exit 1

# host_json INVNAME BOX [extra JSON members]
host_json() {
	local name=$1 box=$2 extra=${3:-}
	( . "$work/$box/box.env"
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s",
	    "identity_file": "%s", "data_dir": "~/data" %s }' \
	    "$name" "$BOX_PORT" "$BOX_USER" "$BOX_KEY" "$extra" )
}
tiny='"pulls": [ { "repo": "test-org/tiny-model" } ]'
cands="\"mirror_candidates\": { \"pypi\": [ \"$SLOW/simple\", \"$FAILING/simple\", \"$FAST/simple\" ] }"
cat > "$work/inv.json" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$FAST", "modelscope": "$FAST",
                 "pypi": "$FAST/simple", "conda": "$FAST/anaconda" } },
  "hosts": {
    $(host_json doc doc ", \"mirrors\": { \"pypi\": \"auto\" }, $cands, $tiny"),
    $(host_json trap trap),
    $(host_json full full ", $tiny"),
    $(host_json dead doc ", \"mirrors\": { \"conda\": \"$CLOSED/anaconda\", \"modelscope\": \"$HOLE\" }")
  } }
JSON
cn() { "$CNORCH" -i "$work/inv.json" "$@"; }

# jq-less JSON line checks: jl FILE PYTHON-EXPR over L (the list of objects)
jl() {
	python3 - "$@" <<'PY'
import json, sys
L = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        L.append(json.loads(line))
def find(**kw):
    return [o for o in L if all(o.get(k) == v for k, v in kw.items())]
sys.exit(0 if eval("(" + sys.argv[2].strip() + ")") else 1)
PY
}

# ------------------------------------------------- the checks script itself
if command -v shellcheck >/dev/null 2>&1; then
	check "doctor-checks.sh is shellcheck-clean" shellcheck "$CNORCH_SRC/orchestrator/box/doctor-checks.sh"
else
	skip "doctor-checks.sh is shellcheck-clean" "no shellcheck"
fi

# ------------------------------------------------- provision with pypi auto
cn provision doc > "$work/prov.out" 2> "$work/prov.err"
rc=$?
check "auto: provision exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/prov.out" "$work/prov.err"
bssh doc 'cat ~/.config/pip/pip.conf' > "$work/pip.conf" 2>/dev/null
check "auto: pip.conf names the fast mirror" grep -qx "index-url = $FAST/simple" "$work/pip.conf"
check "auto: recap says which and why" grep -q "^doc: pypi mirror auto → $FAST/simple (.*/s, ttfb [0-9]* ms; 1 slower, 1 failed: HTTP 503)" "$work/prov.out"

# ------------------------------------------------- doctor ranks the mirrors
cn --json doctor doc --no-well-known > "$work/d1.json" 2> "$work/d1.err"
rc=$?
check "clean box: doctor exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/d1.json" "$work/d1.err"
check "rank: fast > slow > failing" jl "$work/d1.json" "
	find(event='endpoint', endpoint='$FAST/simple')[0]['rank'] <
	find(event='endpoint', endpoint='$SLOW/simple')[0]['rank'] <
	find(event='endpoint', endpoint='$FAILING/simple')[0]['rank']"
check "rank: failing is not ok, HTTP 503" jl "$work/d1.json" "
	find(event='endpoint', endpoint='$FAILING/simple')[0]['ok'] is False and
	find(event='endpoint', endpoint='$FAILING/simple')[0]['status'] == 503"
check "rank: slow is measured slower" jl "$work/d1.json" "
	find(event='endpoint', endpoint='$SLOW/simple')[0]['rate_bps'] * 5 <
	find(event='endpoint', endpoint='$FAST/simple')[0]['rate_bps']"
check "clean box: every check ok" jl "$work/d1.json" "
	len(find(event='check')) >= 9 and
	all(o['level'] == 'ok' for o in find(event='check'))"
check "recommend: pypi is the fast mirror" jl "$work/d1.json" "
	find(event='recommend')[0]['pypi'] == '$FAST/simple'"
check "json: every line is an object with the host" jl "$work/d1.json" "
	all(o.get('host') == 'doc' for o in L) and len(L) == sum(1 for _ in open(sys.argv[1]))"

cn doctor doc --no-well-known > "$work/d1.out" 2> "$work/d1.err"
rc=$?
check "text: exit 0 (got $rc)" test "$rc" = 0
line_of() { grep -n -F -- "$1" "$work/d1.out" | grep -F "pypi" | head -n 1 | cut -d: -f1; }
lf=$(line_of "$FAST/simple") ls=$(line_of "$SLOW/simple") lx=$(line_of "$FAILING/simple")
check "text: table order fast, slow, failing" test -n "$lf" -a -n "$ls" -a -n "$lx" -a "${lf:-0}" -lt "${ls:-0}" -a "${ls:-0}" -lt "${lx:-0}"
check "text: a header and a recommendation" bash -c "grep -q '^doc: rank *kind *endpoint *DNS *connect *TLS *TTFB *rate *status' '$work/d1.out' && grep -q '^doc: recommend: pypi $FAST/simple' '$work/d1.out'"
check "text: every line is host-prefixed" bash -c "! grep -hv '^doc: ' '$work/d1.out' '$work/d1.err'"

# ------------------------------------------------- unreachable endpoints
t0=$(date +%s%N)
cn --json doctor dead --no-well-known --timeout 3 > "$work/dead.json" 2> "$work/dead.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "dead endpoints: exit 1 (got $rc)" test "$rc" = 1
check "dead endpoints: done in bounded time (${ms} ms < 15000)" test "$ms" -lt 15000
check "dead endpoints: closed port fails" jl "$work/dead.json" "
	find(event='endpoint', endpoint='$CLOSED/anaconda')[0]['ok'] is False"
check "dead endpoints: silent listener fails within the timeout" jl "$work/dead.json" "
	find(event='endpoint', endpoint='$HOLE')[0]['ok'] is False and
	find(event='endpoint', endpoint='$HOLE')[0]['total_ms'] < 4000"
check "dead endpoints: reported as unreachable mirrors" jl "$work/dead.json" "
	len(find(event='unreachable')) == 2"

# ------------------------------------------------- traps
cn provision trap > "$work/prov-trap.out" 2>&1
rc=$?
check "trap box: provision exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/prov-trap.out"
bssh trap 'cp ~/.bashrc ~/.bashrc.clean; cp ~/.condarc ~/.condarc.clean'
cn --json doctor trap --no-well-known > "$work/trap0.json" 2>&1
rc=$?
check "trap box clean: exit 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/trap0.json"

# trap NAME CHECK_ID SHELL-ON-BOX: plant, expect CHECK_ID to fail with a
# fix and exit 1, restore.
trap_case() {
	local name=$1 id=$2 plant=$3 out="$work/trap-$1.json"
	bssh trap "$plant"
	cn --json doctor trap --no-well-known --timeout 3 > "$out" 2>&1
	rc=$?
	check "trap $name: exit 1 (got $rc)" test "$rc" = 1
	check "trap $name: '$id' fails with a fix" jl "$out" "
		any(o['level'] == 'fail' and o.get('fix') for o in find(event='check', id='$id'))"
	bssh trap 'cp ~/.bashrc.clean ~/.bashrc; cp ~/.condarc.clean ~/.condarc'
}
trap_case proxy proxy 'echo "export https_proxy=http://127.0.0.1:9" >> ~/.bashrc'
trap_case wildcard no_proxy_wildcard 'echo "export http_proxy=http://127.0.0.1:9 no_proxy=127.0.0.1,localhost,*.modelscope.cn NO_PROXY=127.0.0.1,localhost,*.modelscope.cn" >> ~/.bashrc'
trap_case only-NO_PROXY no_proxy_case 'echo "export http_proxy=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost" >> ~/.bashrc'
trap_case hf_transfer hf_transfer 'echo "export HF_HUB_ENABLE_HF_TRANSFER=1" >> ~/.bashrc'
th=$(boxhome trap)
if [ "$(df -P /dev/shm 2>/dev/null | awk 'NR==2{print $1}')" != "$(df -P "$th" | awk 'NR==2{print $1}')" ]; then
	shm=$(mktemp -d /dev/shm/cnorch-doctor.XXXXXX) && chmod 777 "$shm"
	trap_case hf_home-system-disk cache_hf "echo 'export HF_HOME=$shm/hf' >> ~/.bashrc"
else
	skip "trap hf_home-system-disk" "/dev/shm is on the same filesystem as the box's home"
fi
trap_case hf_endpoint-missing hf_endpoint "sed -i '/cnorch\\/env.sh/d' ~/.bashrc"
trap_case nightly conda_nightly 'printf "  pytorch-nightly: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\n" >> ~/.condarc'
check "trap: the fix names a leading-dot domain for wildcards" jl "$work/trap-wildcard.json" "
	'.modelscope.cn' in find(event='check', id='no_proxy_wildcard')[0]['fix']"

cn --json doctor trap --no-well-known > "$work/trap-after.json" 2>&1
rc=$?
check "trap box restored: exit 0 again (got $rc)" test "$rc" = 0

# Free space below the pulls: the fixture's df says 1000 KiB, tiny-model
# is 5 MiB.
bssh full 'mkdir -p ~/data'
cn --json doctor full --no-well-known > "$work/full.json" 2>&1
rc=$?
check "trap disk: exit 1 (got $rc)" test "$rc" = 1
check "trap disk: disk_space fails with a fix, naming the pulls' need" jl "$work/full.json" "
	any(o['level'] == 'fail' and o.get('fix') and 'need 5.' in o['message']
	    for o in find(event='check', id='disk_space'))"

# ------------------------------------------------- agent --source auto
# The HF endpoint answers 503 to everything: measured first, ModelScope is
# planned at once instead of after the planner's retries.
if [ -n "${CNORCH_AGENT:-}" ]; then
	t0=$(date +%s%N)
	"$CNORCH_AGENT" plan --repo test-org/tiny-model --endpoint "$FAILING" \
		--ms-endpoint "$FAST" --source auto --json \
		> "$work/auto-plan.json" 2> "$work/auto-plan.err" </dev/null
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "agent auto: plans from ModelScope (rc $rc)" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["source"] == "modelscope"' "$work/auto-plan.json"
	check "agent auto: the source event says it was measured" \
		grep -q "falling back to ModelScope: measured: the HF endpoint is failing (HTTP 503)" "$work/auto-plan.err"
	check "agent auto: no retries against the failing mirror (${ms} ms < 5000)" test "$ms" -lt 5000
	# A healthy HF endpoint stays first.
	"$CNORCH_AGENT" plan --repo test-org/tiny-model --endpoint "$FAST" \
		--ms-endpoint "$FAST" --source auto --json \
		> "$work/auto-plan2.json" 2> "$work/auto-plan2.err" </dev/null
	check "agent auto: a working HF mirror is kept" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["source"] == "hf"' "$work/auto-plan2.json"
else
	skip "agent auto" "CNORCH_AGENT not set"
fi

# ------------------------------------------------- usage
cn doctor > "$work/u1.out" 2>&1
rc=$?
check "usage: no TARGET is exit 2 (got $rc)" test "$rc" = 2
cn doctor doc --timeout 0 > "$work/u2.out" 2>&1
rc=$?
check "usage: --timeout 0 is exit 2 (got $rc)" test "$rc" = 2
check "usage: the message names the option" grep -q "^error: --timeout: expected seconds 1-60, got '0'" "$work/u2.out"

# ------------------------------------------------- unreachable host
cat > "$work/inv-down.json" <<JSON
{ "hosts": { "down": { "host": "127.0.0.1", "port": $(free_port), "user": "x",
    "known_hosts_policy": "accept-new", "data_dir": "/tmp" } } }
JSON
"$CNORCH" -i "$work/inv-down.json" doctor down --no-well-known > "$work/down.out" 2>&1
rc=$?
check "unreachable host: exit 3 (got $rc)" test "$rc" = 3

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
