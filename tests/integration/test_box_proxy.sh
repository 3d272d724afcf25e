#!/usr/bin/env bash
# Issue 13 item 4, the box-side proxy tier, checked on real sshd boxes
# (tests/fixtures/sshd-box.sh), the hub stand-in and a real tinyproxy
# demanding credentials (tests/fixtures/proxies.sh):
#   - an inventory proxy reaches the running agent for the huggingface.co
#     rung through its environment (CNORCH_UPSTREAM_PROXY, with
#     CNORCH_UPSTREAM_ENDPOINT = the host's mirrors.huggingface), never
#     its argv (/proc/PID/cmdline, ps), with no_proxy keeping loopback and
#     the domestic list direct (the proxy's log sees no mirror request);
#   - "proxy": "platform" (the autodl profile's): the file AutoDL sources
#     (/etc/network_turbo; here a stand-in at CNORCH_NETWORK_TURBO, the
#     test-only override) is read at launch, its proxy given the same way
#     and for that rung only (no http(s)_proxy for the rest);
#   - env.sh has no proxy line and the password rests nowhere on the box.
# The agent's own use of CNORCH_UPSTREAM_PROXY (the huggingface.co rung)
# is the agent's to test: this checks what the laptop gives it.
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

command -v tinyproxy >/dev/null 2>&1 || { echo "1..0 # SKIP tinyproxy not installed (tests/setup-deps.sh)"; exit 77; }

work=$(mktemp -d /tmp/cnorch-boxproxy.XXXXXX)
chmod 755 "$work"
boxes=()
hub_pid=""
cleanup() {
	local b
	for b in "${boxes[@]+"${boxes[@]}"}"; do
		bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" stop "$work/$b" >/dev/null 2>&1
	done
	bash "$CNORCH_SRC/tests/fixtures/proxies.sh" stop "$work/proxies" >/dev/null 2>&1
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

SECRET=pr0xy-BOXsecret

# ---------------------------------------------------------------- laptop
export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy all_proxy
unset HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY MODELSCOPE_API_TOKEN
export XDG_STATE_HOME=$work/state

# ---------------------------------------------------------------- hub, proxy
python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 \
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
slow_hub() { hub POST /_stub/faults '{"rules": [{"kind": "rate", "bps": 65536}]}' >/dev/null; }
fast_hub() { hub POST /_stub/faults '{"rules": []}' >/dev/null; }

bash "$CNORCH_SRC/tests/fixtures/proxies.sh" start "$work/proxies" --http-auth "user:$SECRET" \
	>"$work/proxies.out" 2>&1 || { cat "$work/proxies.out"; exit 1; }
. "$work/proxies/proxies.env"
case $HTTP_PROXY_URL in *"$SECRET"*) ;; *) echo "proxies.sh gave no credentials"; exit 1 ;; esac
# "overseas": an address nothing listens on; only its name is checked here.
UPSTREAM=http://127.0.0.1:9/overseas

# The platform's file, as AutoDL ships it: a notice, both variables.
turbo=$work/network_turbo
printf '%s\n' 'echo "academic acceleration on: for academic use only"' \
	"export http_proxy=$HTTP_PROXY_URL && export https_proxy=$HTTP_PROXY_URL" > "$turbo"
chmod 644 "$turbo"
export CNORCH_NETWORK_TURBO=$turbo

# ---------------------------------------------------------------- boxes
start_box() {	# NAME
	local name=$1
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$work/$name" \
		>/dev/null 2>"$work/$name.err" || { cat "$work/$name.err"; return 1; }
	boxes+=("$name")
	( . "$work/$name/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
}
boxhome() { ( . "$work/$1/box.env"; echo "$BOX_HOME" ); }
host_json() {	# NAME [extra JSON members]
	( . "$work/$1/box.env"
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s",
	    "identity_file": "%s", "data_dir": "~/autodl-tmp" %s }' \
	    "$1" "$BOX_PORT" "$BOX_USER" "$BOX_KEY" "${2:-}" )
}
start_box url || exit 1
start_box plat || exit 1
inv=$work/inv.json
cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB", "huggingface": "$UPSTREAM" } },
  "hosts": { $(host_json url ", \"proxy\": \"$HTTP_PROXY_URL\""),
             $(host_json plat ', "platform": "autodl"') } }
JSON
cn() { "$CNORCH" -i "$inv" "$@"; }

# agent_proc BOX: the running agent's argv and environment, one per line,
# as the box's /proc has them, in $work/BOX.cmdline and $work/BOX.environ.
agent_proc() {
	local p
	p=$(sed -n 's/.*"pid" *: *\([0-9][0-9]*\).*/\1/p' "$(boxhome "$1")"/.cnorch/jobs/datasets--*/state.json 2>/dev/null | head -n 1)
	[ -n "$p" ] && tr '\0' '\n' < "/proc/$p/cmdline" > "$work/$1.cmdline" 2>/dev/null &&
		tr '\0' '\n' < "/proc/$p/environ" > "$work/$1.environ" 2>/dev/null &&
		grep -q . "$work/$1.environ"
}
envhas() { grep -qxF "$2" "$work/$1.environ"; }
envlacks() { ! grep -q "^$2=" "$work/$1.environ"; }

for b in url plat; do
	cn provision "$b" > "$work/prov-$b.out" 2>&1
	rc=$?
	check "$b: provision exits 0 (got $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || cat "$work/prov-$b.out"
	check "$b: env.sh has no proxy line" bash -c "! grep -qiE '_proxy|proxy=' '$(boxhome "$b")/.cnorch/env.sh'"
	check "$b: env.sh does not name the platform file" bash -c "! grep -q 'network_turbo' '$(boxhome "$b")/.cnorch/env.sh'"

	# A slow hub keeps the agent running while /proc is read.
	slow_hub
	cn pull "$b" test-org/tiny-dataset --dataset --no-wait > "$work/pull-$b.out" 2>&1
	rc=$?
	check "$b: pull started (got $rc)" test "$rc" = 0
	ps_leak=0
	if wait_for 100 agent_proc "$b"; then
		ps -eo args > "$work/ps.snapshot"
		grep -qF "$SECRET" "$work/ps.snapshot" && ps_leak=1
		check "$b: the agent's argv has no proxy" bash -c "! grep -qiF -e '$SECRET' -e '--proxy' -e '127.0.0.1:$HTTP_PROXY_PORT' '$work/$b.cmdline'"
		check "$b: ps shows the password in no argv" test "$ps_leak" = 0
		check "$b: the agent's environment has the proxy for the huggingface.co rung" \
			envhas "$b" "CNORCH_UPSTREAM_PROXY=$HTTP_PROXY_URL"
		check "$b: and the host's mirrors.huggingface" envhas "$b" "CNORCH_UPSTREAM_ENDPOINT=$UPSTREAM"
		check "$b: no_proxy: loopback and the guide's domestic list" \
			bash -c "grep -q '^no_proxy=127.0.0.1,localhost,.*\\.tuna\\.tsinghua\\.edu\\.cn' '$work/$b.environ' && grep -q '^NO_PROXY=127.0.0.1,localhost' '$work/$b.environ'"
		if [ "$b" = url ]; then
			check "url: the inventory proxy for the agent's children too" \
				envhas url "https_proxy=$HTTP_PROXY_URL"
		else
			check "plat: the platform's proxy for that rung only (no http(s)_proxy)" \
				bash -c "$(declare -f envlacks); work='$work'; envlacks plat https_proxy && envlacks plat http_proxy && envlacks plat HTTPS_PROXY && envlacks plat HTTP_PROXY"
		fi
	else
		notok "$b: no running agent found"
	fi
	fast_hub
	cn pull "$b" test-org/tiny-dataset --dataset > "$work/pull2-$b.out" 2>&1
	rc=$?
	check "$b: the pull completes from the mirror (got $rc)" test "$rc" = 0
	check "$b: the proxy's password rests nowhere on the box" bash -c "! grep -rqF '$SECRET' '$(boxhome "$b")'"
	check "$b: the platform file's notice not in our output" bash -c "! grep -q 'academic acceleration' '$work'/pull*-$b.out '$work/prov-$b.out'"
done
# no_proxy kept the mirror direct: the proxy saw no request at all.
check "the mirror's requests never went through the proxy" \
	bash -c "! grep -q 'Request (file descriptor' '$HTTP_PROXY_LOG'"

# No file: no proxy, the pull from the mirror unaffected.
export CNORCH_NETWORK_TURBO=$work/absent
cn pull plat test-org/tiny-model > "$work/pull-noturbo.out" 2>&1
rc=$?
check "plat without the file: the mirror pull completes (got $rc)" test "$rc" = 0

# proxy_in_shells with "platform" is refused, with the reason.
sed 's/"platform": "autodl"/"platform": "autodl", "proxy_in_shells": true/' "$inv" > "$work/bad.json"
"$CNORCH" -i "$work/bad.json" hosts > "$work/bad.out" 2>&1
rc=$?
check "platform + proxy_in_shells: refused (exit 2, got $rc)" test "$rc" = 2
check "platform + proxy_in_shells: says why" grep -q 'hosts.plat.proxy_in_shells: not with proxy "platform"' "$work/bad.out"

check "no sanitizer report in any cnorch output" bash -c \
	"! grep -lE 'Sanitizer|runtime error:' '$work'/*.out 2>/dev/null"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
