#!/usr/bin/env bash
# The README's main job, on one machine: build cnorch, start a sandbox
# "rented box" (a real sshd on 127.0.0.1, tests/fixtures/sshd-box.sh) and
# the hub stand-in serving test-org/tiny-model (tests/fixtures/hubstub.py),
# then
#
#	build/orchestrator/cnorch -i INVENTORY provision sandbox
#
# and list the model in the box's Hugging Face cache.  Everything started
# here is stopped on exit.  Works as root (the box gets its own user) and
# unprivileged (the box is you, key auth only).
#
# CNORCH_BUILD_DIR picks another build directory (default build/).
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$src" || exit 1
build=${CNORCH_BUILD_DIR:-build}

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

if [ -f tests/setup-deps.sh ]; then
	say "dependencies (tests/setup-deps.sh)"
	bash tests/setup-deps.sh || die "installing dependencies failed"
fi

say "build ($build/)"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || die "meson setup $build failed"
fi
ninja -C "$build" >/dev/null || die "build failed (ninja -C $build)"
cnorch=$src/$build/orchestrator/cnorch
[ -x "$cnorch" ] || die "no $cnorch after the build"

work=$(mktemp -d /tmp/cnorch-demo.XXXXXX) || die "mktemp failed"
chmod 755 "$work"
hub_pid=""
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
	bash "$src/tests/fixtures/sshd-box.sh" stop "$work/box" >/dev/null 2>&1
	if [ -n "$hub_pid" ]; then
		kill "$hub_pid" 2>/dev/null
		wait "$hub_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "hub stand-in and sandbox box"
python3 tests/fixtures/hubstub.py --port 0 --port-file "$work/hub.port" \
	--log "$work/hub.log" 2>"$work/hub.err" &
hub_pid=$!
for _ in $(seq 1 100); do
	[ -s "$work/hub.port" ] && break
	kill -0 "$hub_pid" 2>/dev/null || break
	sleep 0.1
done
[ -s "$work/hub.port" ] || { cat "$work/hub.err" >&2; die "hubstub did not start"; }
hub=http://127.0.0.1:$(cat "$work/hub.port")
echo "hub stand-in: $hub"

bash tests/fixtures/sshd-box.sh start "$work/box" \
	>/dev/null 2>"$work/box.err" || { cat "$work/box.err" >&2; die "sshd box did not start"; }
# shellcheck disable=SC1091
. "$work/box/box.env"
echo "sandbox box: $BOX_USER@127.0.0.1 port $BOX_PORT, HOME $BOX_HOME"

# The laptop side: its own known_hosts with the box's key, an inventory.
mkdir -p "$work/laptop/.ssh"
chmod 700 "$work/laptop" "$work/laptop/.ssh"
echo "$BOX_KNOWN_HOSTS_LINE" > "$work/laptop/.ssh/known_hosts"
inv=$work/inventory.json
cat > "$inv" <<JSON
{
  "defaults": { "known_hosts_policy": "strict" },
  "hosts": {
    "sandbox": {
      "host": "127.0.0.1", "port": $BOX_PORT, "user": "$BOX_USER",
      "identity_file": "$BOX_KEY",
      "known_hosts": "$work/laptop/.ssh/known_hosts",
      "data_dir": "~/autodl-tmp",
      "mirrors": { "hf": "$hub", "modelscope": "$hub" },
      "pulls": [ { "repo": "test-org/tiny-model" } ]
    }
  }
}
JSON

say "cnorch -i $inv provision sandbox"
XDG_STATE_HOME=$work/laptop/state "$cnorch" -i "$inv" provision sandbox
rc=$?

cache=$BOX_HOME/autodl-tmp/hf/hub
say "the model in the box's Hugging Face cache ($cache)"
if [ -d "$cache" ]; then
	find "$cache" -maxdepth 4 | sed "s|^$cache|hf/hub|" | sort
	echo
	ls -lL "$cache"/models--test-org--tiny-model/snapshots/*/ 2>/dev/null
else
	echo "(no cache: see the errors above)"
fi
say "provision exit code: $rc"
exit "$rc"
