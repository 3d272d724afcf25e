#!/usr/bin/env bash
# `cnorch exec` output at volume, against a real sshd box on 127.0.0.1
# (tests/fixtures/sshd-box.sh): one 256 MiB line and 64 MiB of short
# lines come back byte for byte (a line longer than 64 KiB is cut into
# host-prefixed pieces), and cnorch stays under 96 MiB of RSS meanwhile.
# The speed against plain ssh is tests/bench/bench_exec.sh's, not a test.
#
# Env (set by meson test): CNORCH, CNORCH_SRC.
set -u

: "${CNORCH:?set CNORCH to the cnorch binary}"
: "${CNORCH_SRC:?set CNORCH_SRC to the source tree}"
FIX=$CNORCH_SRC/tests/fixtures/sshd-box.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/cnorch-exec.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
	"$FIX" stop "$work/box" >/dev/null 2>&1
	[ -n "${CNORCH_TEST_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$work/laptop XDG_STATE_HOME=$work/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
unset SSH_AUTH_SOCK CNORCH_INVENTORY

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
skip() { echo "ok - $1 # SKIP $2"; passed=$((passed + 1)); }
# ASan keeps freed memory in quarantine and maps shadow memory: its RSS
# says nothing about cnorch's.
sanitized=0
ldd "$CNORCH" 2>/dev/null | grep -q 'libasan' && sanitized=1
rss_check() {	# rss_check NAME KIB
	if [ $sanitized = 1 ]; then
		skip "$1" "RSS is not cnorch's under ASan"
	else
		check "$1 (got $(($2 / 1024)) MiB)" test "$2" -lt $((96 * 1024))
	fi
}
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() {	# check NAME CONDITION...
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

pw=()
[ "$(id -u)" = 0 ] && pw=(--password "unused-$RANDOM$RANDOM")
if ! "$FIX" start "$work/box" "${pw[@]}" >"$work/start" 2>&1; then
	cat "$work/start" >&2
	echo "Bail out! cannot start the box"
	exit 1
fi
# shellcheck disable=SC1091
. "$work/box/box.env"
echo "$BOX_KNOWN_HOSTS_LINE" >"$HOME/.ssh/known_hosts"
cat >"$work/inv.json" <<JSON
{ "defaults": { "known_hosts_policy": "strict", "connect_timeout": 5 },
  "hosts": { "box": { "host": "127.0.0.1", "port": $BOX_PORT,
                      "user": "$BOX_USER", "identity_file": "$BOX_KEY" } } }
JSON

# measure CMD: runs cnorch exec box -- CMD and reads its stdout as it
# comes.  Prints: rc lines bad_prefix longest_line rss_kib sha256, where
# sha256 is of the stream with every "box: " prefix and newline taken out.
measure() {
	python3 - "$CNORCH" "$work/inv.json" "$1" <<'PY'
import hashlib, resource, subprocess, sys
cnorch, inv, cmd = sys.argv[1:4]
p = subprocess.Popen([cnorch, "-i", inv, "exec", "box", "--", cmd],
                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
h = hashlib.sha256()
lines = bad = longest = 0
rest = b""
while True:
    chunk = p.stdout.read(1 << 20)
    if not chunk:
        break
    parts = (rest + chunk).split(b"\n")
    rest = parts.pop()
    for l in parts:
        lines += 1
        longest = max(longest, len(l))
        if l.startswith(b"box: "):
            h.update(memoryview(l)[5:])
        else:
            bad += 1
if rest:
    bad += 1	# every line ends in a newline
rc = p.wait()
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(rc, lines, bad, longest, rss, h.hexdigest())
PY
}

# What the box sends, newlines taken out, hashed here the same way.
expect_sha() { sh -c "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1; }

# ------------------------------------------------ one 256 MiB line
long_cmd="head -c 268435456 /dev/zero | tr '\\000' a"
read -r rc lines bad longest rss sha < <(measure "$long_cmd")
check "long line: exit 0 (got $rc)" test "$rc" = 0
check "long line: every byte, in order" test "$sha" = "$(expect_sha "$long_cmd")"
check "long line: cut into 4096 prefixed 64 KiB pieces (got $lines, $bad unprefixed)" \
	test "$lines" = 4096 -a "$bad" = 0
check "long line: no piece over 64 KiB (longest $longest)" test "$longest" -le $((65536 + 5))
rss_check "long line: cnorch under 96 MiB RSS" "$rss"

# ------------------------------------------------ 64 MiB of short lines
short_cmd="yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 67108864"
read -r rc lines bad longest rss sha < <(measure "$short_cmd")
want_lines=$(sh -c "$short_cmd" | awk 'END { print NR }')
check "short lines: exit 0 (got $rc)" test "$rc" = 0
check "short lines: every byte, in order" test "$sha" = "$(expect_sha "$short_cmd")"
check "short lines: one line each, prefixed (got $lines of $want_lines, $bad unprefixed)" \
	test "$lines" = "$want_lines" -a "$bad" = 0
rss_check "short lines: cnorch under 96 MiB RSS" "$rss"

# ------------------------------------------------ stdout and stderr, order
"$CNORCH" -i "$work/inv.json" exec box -- 'echo one; echo two >&2; printf three' \
	>"$work/out" 2>"$work/err" </dev/null
rc=$?
check "streams: exit 0 (got $rc)" test "$rc" = 0
check "streams: stdout lines, the last unfinished one too" \
	test "$(cat "$work/out")" = "$(printf 'box: one\nbox: three')"
check "streams: stderr" test "$(cat "$work/err")" = "box: two"

echo "1..$((passed + failed))"
[ "$failed" = 0 ]
