#!/usr/bin/env bash
# shellcheck disable=SC1090,SC1091  # box.env and proxies.env are made here
# Benchmark the lent proxy (cnorch pull --via-laptop-proxy, issue 13): the
# agent on a sshd box (tests/fixtures/sshd-box.sh, loopback) pulls one
# file from the hub stand-in, every connection capped at CAP per second
# (as a far hub would), with its default 8 connections:
#   direct   the stand-in as the mirror (no proxy at all)
#   lent     the same bytes from the stand-in as "huggingface.co", through
#            cnorch's remote forward and the laptop's tinyproxy
# and prints both speeds and lent / direct, which should be >= 0.8: the SSH
# session must carry the 8 connections as 8 channels, not one stream.
# Not part of the test suite.  Needs sshd, tinyproxy, curl.
#
# Env: CNORCH (default build/orchestrator/cnorch); BENCH_SIZE (256M);
# BENCH_CAP (8M per connection); BENCH_DIR (scratch parent, default
# $TMPDIR or /tmp; removed at exit).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
CNORCH=${CNORCH:-$src/build/orchestrator/cnorch}
FIX=$src/tests/fixtures
size=$(numfmt --from=iec "${BENCH_SIZE:-256M}")
cap=$(numfmt --from=iec "${BENCH_CAP:-8M}")

T=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cnorch-bench-proxy.XXXXXX")
chmod 755 "$T"
stub_pid=""
finish() {
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
	"$FIX/proxies.sh" stop "$T/px" >/dev/null 2>&1
	"$FIX/sshd-box.sh" stop "$T/box" >/dev/null 2>&1
	rm -rf "$T"
}
trap finish EXIT
die() { echo "bench_proxy: $*" >&2; exit 1; }

export HOME=$T/laptop XDG_STATE_HOME=$T/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy all_proxy
unset no_proxy NO_PROXY

"$FIX/sshd-box.sh" start "$T/box" >"$T/box.out" 2>&1 || { cat "$T/box.out"; die "box"; }
. "$T/box/box.env"
echo "$BOX_KNOWN_HOSTS_LINE" > "$HOME/.ssh/known_hosts"

cat >"$T/repos.json" <<JSON
{"include_defaults": false,
 "models": {
  "bench/direct": {"revision": "main", "files": [
    {"path": "model.safetensors", "size": $size, "lfs": true}]},
  "bench/lent": {"revision": "main", "files": [
    {"path": "model.safetensors", "size": $size, "lfs": true}]}}}
JSON
python3 "$FIX/hubstub.py" --port 0 --port-file "$T/port" --repos "$T/repos.json" \
	--conn-rate "$cap" >"$T/stub.out" 2>&1 &
stub_pid=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || die "hub stand-in did not start"
URL=http://127.0.0.1:$(cat "$T/port")

"$FIX/proxies.sh" start "$T/px" >"$T/px.out" 2>&1 || { cat "$T/px.out"; die "proxies"; }
. "$T/px/proxies.env"

cat >"$T/inv.json" <<JSON
{ "hosts": { "box": { "host": "127.0.0.1", "port": $BOX_PORT,
    "user": "$BOX_USER", "identity_file": "$BOX_KEY", "data_dir": "~/data",
    "known_hosts_policy": "strict",
    "mirrors": { "hf": "$URL", "modelscope": "$URL", "huggingface": "$URL" } } } }
JSON
cn() { "$CNORCH" -i "$T/inv.json" "$@"; }
cn provision box >"$T/prov.out" 2>&1 || { cat "$T/prov.out"; die "provision"; }

# speed JOB: bytes / elapsed_s of the job's done event, in MiB/s.
speed() {
	python3 - "$BOX_HOME/.cnorch/jobs/$1/events.jsonl" <<'PY'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if '"done"' in l][-1]
assert d["status"] == "ok", d
print("%.1f" % (d["bytes"] / d["elapsed_s"] / 1048576))
PY
}

cn pull box bench/direct --source hf >"$T/direct.out" 2>&1 || { cat "$T/direct.out"; die "direct pull"; }
cn pull box bench/lent --source huggingface --via-laptop-proxy="$HTTP_PROXY_URL" \
	>"$T/lent.out" 2>&1 || { cat "$T/lent.out"; die "lent pull"; }
d=$(speed bench--direct@main-hf)
l=$(speed bench--lent@main-huggingface)
# tunnels: CONNECTs the laptop proxy saw (one per agent connection)
conns=$(grep -c 'CONNECT ' "$HTTP_PROXY_LOG")
printf '%-8s %10s %12s\n' case MiB/s tunnels
printf '%-8s %10s %12s\n' direct "$d" -
printf '%-8s %10s %12s\n' lent "$l" "$conns"
python3 -c "r = $l / $d; print('lent / direct = %.2f (%s)' % (r, 'ok' if r >= 0.8 else 'BELOW 0.8'))"
