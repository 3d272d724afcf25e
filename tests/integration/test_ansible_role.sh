#!/usr/bin/env bash
# Ansible interop, both ways, checked as a user would: a cnorch inventory
# written by `cnorch hosts --ansible` is read back by cnorch and by
# ansible-inventory; `ansible-playbook` with contrib/ansible's role
# (ansible_connection=ssh, the fixture's key, StrictHostKeyChecking=yes)
# provisions a real sshd box (tests/fixtures/sshd-box.sh) from the hub
# stand-in to the same end state as `cnorch provision` gives a second box;
# a second playbook run changes nothing, and a following `cnorch
# provision` of the Ansible-made box reports changed=0 and finds the pull
# done without fetching a byte.  Ansible talks to 127.0.0.1 only.
#
# Skips (77) only when ansible-playbook is missing and cannot be
# installed (tests/setup-deps.sh installs Debian's ansible-core).
# CNORCH_TEST_KEEP=1 keeps the work directory.
# shellcheck disable=SC1090,SC1091  # box.env files are made at run time
# shellcheck disable=SC2016  # $vars in '...' are for the box's shell
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"

if ! command -v ansible-playbook >/dev/null 2>&1; then
	bash "$CNORCH_SRC/tests/setup-deps.sh" >/dev/null 2>&1 || true
	if ! command -v ansible-playbook >/dev/null 2>&1; then
		echo "1..0 # skip ansible-playbook missing and cannot be installed"
		exit 77
	fi
fi

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

work=$(mktemp -d /tmp/cnorch-ans.XXXXXX)
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

# ---------------------------------------------------------------- laptop
export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY
export XDG_STATE_HOME=$work/state
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
# No ansible.cfg of the machine's or the user's: an empty one of ours.
: > "$work/ansible.cfg"
export ANSIBLE_LOCAL_TEMP=$work/ansible-local ANSIBLE_CONFIG=$work/ansible.cfg
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_STDOUT_CALLBACK=default

# ---------------------------------------------------------------- hub
python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 \
	--port-file "$work/hub.port" --log "$work/hub.log" 2>"$work/hub.err" &
hub_pid=$!
wait_for 100 test -s "$work/hub.port" || { echo "hubstub did not start"; cat "$work/hub.err"; exit 1; }
HUB=http://127.0.0.1:$(cat "$work/hub.port")
hub() { python3 - "$HUB" "$@" <<'PY'
import sys, urllib.request
base, method, path = sys.argv[1:4]
req = urllib.request.Request(base + path, method=method)
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}

# ---------------------------------------------------------------- boxes
start_box() {	# NAME
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$work/$1" \
		>/dev/null 2>"$work/$1.err" || { cat "$work/$1.err"; return 1; }
	boxes+=("$1")
	( . "$work/$1/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
}
# bssh NAME CMD: run CMD on the box with OpenSSH, not with cnorch or Ansible.
bssh() {
	local name=$1; shift
	( . "$work/$name/box.env"
	  ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o LogLevel=ERROR \
		-i "$BOX_KEY" -p "$BOX_PORT" "$BOX_USER@127.0.0.1" "$@" )
}
boxhome() { ( . "$work/$1/box.env"; echo "$BOX_HOME" ); }

start_box abox || exit 1	# provisioned by Ansible
start_box cbox || exit 1	# provisioned by cnorch, for comparison

host_json() {	# NAME
	( . "$work/$1/box.env"
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s",
	    "identity_file": "%s", "data_dir": "~/autodl-tmp",
	    "pulls": [ { "repo": "test-org/tiny-model" } ] }' \
		"$1" "$BOX_PORT" "$BOX_USER" "$BOX_KEY" )
}
cat > "$work/inv.json" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "known_hosts": "$HOME/.ssh/known_hosts",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB" } },
  "groups": { "ansible": ["abox"], "gpu": ["abox", "cbox"] },
  "hosts": { $(host_json abox), $(host_json cbox) } }
JSON

# ---------------------------------------------------------------- hosts --ansible
"$CNORCH" -i "$work/inv.json" hosts --ansible > "$work/all.yml" 2> "$work/all.err"
check "hosts --ansible: exits 0" test $? = 0
"$CNORCH" -i "$work/inv.json" hosts --json > "$work/hosts-json.out"
"$CNORCH" -i "$work/all.yml" hosts --json > "$work/hosts-yml.out" 2>&1
check "hosts --ansible: read back by cnorch -i, the same hosts" \
	cmp -s "$work/hosts-json.out" "$work/hosts-yml.out"
ansible-inventory -i "$work/all.yml" --list > "$work/ai.json" 2> "$work/ai.err"
check "hosts --ansible: ansible-inventory parses it" python3 - "$work/ai.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
hv = d["_meta"]["hostvars"]
assert sorted(hv) == ["abox", "cbox"], sorted(hv)
assert hv["abox"]["ansible_host"] == "127.0.0.1"
assert sorted(d["gpu"]["hosts"]) == ["abox", "cbox"], d["gpu"]
assert d["ansible"]["hosts"] == ["abox"], d["ansible"]
PY
# A TARGET writes only its hosts, with the groups that hold them.
"$CNORCH" -i "$work/inv.json" hosts --ansible abox > "$work/hosts.yml"
"$CNORCH" -i "$work/inv.json" hosts --json abox > "$work/abox-json.out"
"$CNORCH" -i "$work/hosts.yml" hosts --json > "$work/abox-yml.out" 2>&1
check "hosts --ansible abox: just abox, read back the same" \
	cmp -s "$work/abox-json.out" "$work/abox-yml.out"
check "hosts --ansible abox: no cbox in it" bash -c "! grep -q cbox '$work/hosts.yml'"
"$CNORCH" -i "$work/hosts.yml" hosts gpu > /dev/null 2>&1
check "hosts --ansible abox: its group gpu kept" test $? = 0

# ---------------------------------------------------------------- payload --out
"$CNORCH" payload --out "$work/payload" > "$work/payload.out"
check "payload --out: exits 0" test $? = 0
pdir=$(cat "$work/payload.out")
pid=$("$CNORCH" version | sed -n 's/^payload //p')
check "payload --out: DIR/<payload id>" test "$pdir" = "$work/payload/$pid"
check "payload --out: sha256sum -c checks it" bash -c "cd '$pdir' && sha256sum -c --quiet SHA256SUMS"
check "payload --out: id is the sha256 of SHA256SUMS" \
	test "$(sha256sum < "$pdir/SHA256SUMS" | cut -d' ' -f1)" = "$pid"
check "payload --out: the agent runs" bash -c "'$pdir/cnorch-agent' --version >/dev/null"
written() { "$CNORCH" payload --out "$work/payload" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["written"])'; }
check "payload --out again: left alone" test "$(written)" = False
chmod u+w "$pdir/setup-china-mirrors.sh"
echo '# edited' >> "$pdir/setup-china-mirrors.sh"
check "payload --out over an edited copy: written anew" test "$(written)" = True
check "payload --out over an edited copy: checks again" \
	bash -c "cd '$pdir' && sha256sum -c --quiet SHA256SUMS"
check "payload --out: no temporary left" bash -c "! ls -A '$work/payload' | grep -q tmp"

# ---------------------------------------------------------------- ansible-playbook
# Ansible's own SSH, held to the fixture's host key: group vars beside the
# inventory (Ansible reads them, cnorch leaves them to Ansible).  The
# fixture's sshd has no sftp subsystem, so files go piped.
mkdir -p "$work/group_vars"
cat > "$work/group_vars/all.yml" <<YML
ansible_connection: ssh
ansible_ssh_transfer_method: piped
ansible_ssh_common_args: >-
  -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile=$HOME/.ssh/known_hosts
YML
cat > "$work/ansible-vars.yml" <<YML
ansible_python_interpreter: /usr/bin/python3
cnorch_bin: $CNORCH
cnorch_payload_out: $work/payload
cnorch_wait_delay: 1
cnorch_wait_timeout: 240
YML
play() {	# OUT
	ansible-playbook -i "$work/hosts.yml" -e "@$work/ansible-vars.yml" \
		"$CNORCH_SRC/contrib/ansible/site.yml" > "$1" 2>&1
}
hub GET /_stub/stats > "$work/stats0"
play "$work/play1.out"
rc=$?
check "ansible-playbook: exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 40 "$work/play1.out"
hub GET /_stub/stats > "$work/stats-play1"
check "ansible-playbook: the pull fetched from the hub" python3 - "$work/stats0" "$work/stats-play1" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if b["total_requests"] > a["total_requests"] and b["bytes_sent"] > a["bytes_sent"] else 1)
PY
check "ansible-playbook: abox ok, changed, not failed" \
	grep -Eq '^abox +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0' "$work/play1.out"
check "ansible-playbook: no token or proxy in its output" bash -c "! grep -qi 'HF_TOKEN=\\|_proxy=' '$work/play1.out'"

# cnorch provisions the other box from the same settings.
"$CNORCH" -i "$work/inv.json" provision cbox > "$work/c1.out" 2>&1
rc=$?
check "cnorch provision cbox: exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$work/c1.out"

# ---------------------------------------------------------------- same end state
ah=$(boxhome abox) ch=$(boxhome cbox)
# What a box holds, its home spelled HOME: the payload checked, env.sh,
# the dotfile lines cnorch's setup writes, pip/conda config, the pull's
# snapshot hash by hash, the job's end state.
state() {	# NAME
	bssh "$1" 'set -u
	echo "payload: $(ls -A ~/.cnorch/payload)"
	for d in ~/.cnorch/payload/*/; do
		(cd "$d" && sha256sum -c --quiet SHA256SUMS && echo "checked: $(basename "$d")") 2>&1
		echo "id: $(sha256sum < "$d/SHA256SUMS" | cut -d" " -f1)"
		stat -c "mode %a %n" "$d"
	done
	echo "--- env.sh"; cat ~/.cnorch/env.sh
	echo "--- bashrc first line"; head -n 1 ~/.bashrc
	echo "--- profile"; grep -n cnorch ~/.profile
	echo "--- pip"; cat ~/.config/pip/pip.conf 2>/dev/null || cat ~/.pip/pip.conf 2>/dev/null
	echo "--- condarc"; cat ~/.condarc 2>/dev/null
	echo "--- jobs"; ls -A ~/.cnorch/jobs | grep -v "^\.locks$\|^\.old$"
	for j in ~/.cnorch/jobs/*/; do
		"$(ls -d ~/.cnorch/payload/*/ | head -n 1)cnorch-agent" status --json "$j" |
			python3 -c "import json,sys; d=json.load(sys.stdin); print(\"job\", d[\"state\"], d[\"bytes_done\"] == d[\"bytes_total\"])"
	done
	echo "--- snapshot"
	c=~/autodl-tmp/hf/hub/models--test-org--tiny-model
	echo "refs/main -> $(cat "$c/refs/main")"
	(cd "$c/snapshots/$(cat "$c/refs/main")" && find -L . -type f -exec sha256sum {} + | sort -k2)
	echo "--- env of a login shell"
	bash -ic env 2>/dev/null | grep -E "^(HF_|MODELSCOPE_|PIP_|CONDA)" | sort' 2>&1 |
		sed "s#$2#HOME#g"
}
state abox "$ah" > "$work/state-abox"
state cbox "$ch" > "$work/state-cbox"
check "end state: the same as cnorch provision's (payload, env.sh, dotfiles, pip, conda, job, snapshot, env)" \
	diff -u "$work/state-cbox" "$work/state-abox"
diff -u "$work/state-cbox" "$work/state-abox" | head -n 40
check "end state: payload checked" grep -qx "checked: $pid" "$work/state-abox"
check "end state: the pull's job done with all its bytes" grep -qx "job done True" "$work/state-abox"
check "end state: HF_ENDPOINT is the hub in a login shell" grep -qx "HF_ENDPOINT=$HUB" "$work/state-abox"
check "end state: HF_HUB_CACHE on the data disk" grep -qx "HF_HUB_CACHE=HOME/autodl-tmp/hf/hub" "$work/state-abox"
check "end state: env.sh sourced on bashrc's first line" \
	grep -A1 -x -- '--- bashrc first line' "$work/state-abox" | grep -q 'cnorch/env.sh'
check "end state: snapshot has files" bash -c "grep -A3 -- '--- snapshot' '$work/state-abox' | grep -q '  ./'"
check "end state: no temporary upload left" bssh abox '! ls -d ~/.cnorch/payload/.tmp-* 2>/dev/null'

# ---------------------------------------------------------------- second run
mt1=$(bssh abox 'stat -c %Y.%i ~/.cnorch/payload/*/ ~/.cnorch/payload/*/cnorch-agent')
jobs1=$(bssh abox 'ls -A ~/.cnorch/jobs; stat -c %Y.%i ~/.cnorch/jobs/*/ ~/.cnorch/jobs/*/job.json')
hub GET /_stub/stats > "$work/stats1"
play "$work/play2.out"
rc=$?
check "second ansible-playbook: exits 0 (got $rc)" test "$rc" = 0
check "second ansible-playbook: changed=0" \
	grep -Eq '^abox +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$work/play2.out"
[ "$rc" = 0 ] || tail -n 30 "$work/play2.out"

# ---------------------------------------------------------------- cnorch after Ansible
"$CNORCH" -i "$work/hosts.yml" provision abox > "$work/p2.out" 2>&1
rc=$?
check "cnorch provision after Ansible: exits 0 (got $rc)" test "$rc" = 0
check "cnorch provision after Ansible: changed=0" \
	grep -Eq '^abox: ok=[1-9][0-9]* changed=0 failed=0$' "$work/p2.out"
check "cnorch provision after Ansible: payload ok" grep -q '^abox: payload ok ' "$work/p2.out"
check "cnorch provision after Ansible: the pull found complete" \
	grep -Eq '^abox: .*test-org.*tiny-model.*complete' "$work/p2.out"
[ "$rc" = 0 ] || cat "$work/p2.out"
check "after both: payload not uploaded again (same inode and mtime)" \
	test "$(bssh abox 'stat -c %Y.%i ~/.cnorch/payload/*/ ~/.cnorch/payload/*/cnorch-agent')" = "$mt1"
check "after both: no second job" \
	test "$(bssh abox 'ls -A ~/.cnorch/jobs; stat -c %Y.%i ~/.cnorch/jobs/*/ ~/.cnorch/jobs/*/job.json')" = "$jobs1"
hub GET /_stub/stats > "$work/stats2"
check "after both: no request to the hub (no new download)" python3 - "$work/stats1" "$work/stats2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a["total_requests"] == b["total_requests"] and a["bytes_sent"] == b["bytes_sent"] else 1)
PY

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
