#!/usr/bin/env bash
# Benchmark `cnorch exec` output against plain ssh on one sshd box on
# 127.0.0.1 (tests/fixtures/sshd-box.sh): 64 MiB of short lines and one
# 256 MiB line, each to /dev/null, best of BENCH_RUNS; prints the times,
# cnorch's peak RSS and the ratio cnorch/ssh.  Not part of the test suite
# (the byte-exact and RSS checks are tests/integration/test_exec_output.sh).
#
# Env: CNORCH (default build/orchestrator/cnorch), BENCH_RUNS (default 3).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
CNORCH=${CNORCH:-$src/build/orchestrator/cnorch}
RUNS=${BENCH_RUNS:-3}
FIX=$src/tests/fixtures/sshd-box.sh
for tool in ssh python3; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
[ -x "$CNORCH" ] || { echo "bench: no cnorch at $CNORCH" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/cnorch-bench-exec.XXXXXX") || exit 1
chmod 755 "$W"
cleanup() { "$FIX" stop "$W/box" >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT
export HOME=$W/laptop XDG_STATE_HOME=$W/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
unset SSH_AUTH_SOCK CNORCH_INVENTORY
pw=()
[ "$(id -u)" = 0 ] && pw=(--password "unused-$RANDOM$RANDOM")
"$FIX" start "$W/box" "${pw[@]}" >"$W/start" 2>&1 || { cat "$W/start"; exit 1; }
# shellcheck disable=SC1091
. "$W/box/box.env"
echo "$BOX_KNOWN_HOSTS_LINE" >"$HOME/.ssh/known_hosts"
cat >"$W/inv.json" <<JSON
{ "hosts": { "box": { "host": "127.0.0.1", "port": $BOX_PORT,
  "user": "$BOX_USER", "identity_file": "$BOX_KEY" } } }
JSON

# best SECONDS and peak RSS (KiB) of RUNS runs of a command to /dev/null.
best() {
	python3 - "$RUNS" "$@" <<'PY'
import resource, subprocess, sys, time
runs, argv = int(sys.argv[1]), sys.argv[2:]
best = None
for _ in range(runs):
    t = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                   check=True)
    t = time.monotonic() - t
    best = t if best is None or t < best else best
print("%.3f %d" % (best, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

ssh_opts=(-q -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts"
	-o StrictHostKeyChecking=yes -i "$BOX_KEY" -p "$BOX_PORT")
for what in short long; do
	if [ "$what" = short ]; then
		cmd="yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 67108864"
	else
		cmd="head -c 268435456 /dev/zero | tr '\\000' a"
	fi
	read -r ct crss < <(best "$CNORCH" -i "$W/inv.json" exec box -- "$cmd")
	read -r st _ < <(best ssh "${ssh_opts[@]}" "$BOX_USER@127.0.0.1" "$cmd")
	python3 -c "import sys; c, s, r = map(float, sys.argv[1:4]); print('%-5s cnorch %.2f s (%d MiB RSS), ssh %.2f s, ratio %.2f' % (sys.argv[4], c, r / 1024, s, c / s))" \
		"$ct" "$st" "$crss" "$what"
done
