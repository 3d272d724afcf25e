#!/usr/bin/env bash
# SSH sessions against real sshd boxes on 127.0.0.1 (tests/fixtures/
# sshd-box.sh), checked the way a user sees them: `cnorch exec` output,
# exit codes, known_hosts contents, and what did (not) run on the box.
#
# Env (set by meson test): CNORCH, CNORCH_SRC.  The laptop side gets its
# own HOME so ~/.ssh/known_hosts and ~/.ssh/id_* are sandboxed.
set -u

: "${CNORCH:?set CNORCH to the cnorch binary}"
: "${CNORCH_SRC:?set CNORCH_SRC to the source tree}"
FIX=$CNORCH_SRC/tests/fixtures/sshd-box.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/cnorch-ssh.XXXXXX") || exit 1
# The boxes' users read their authorized_keys and HOME below it.
chmod 755 "$work"
boxes=()
blackhole_pid=
cleanup() {
	local b
	[ -z "$blackhole_pid" ] || kill "$blackhole_pid" 2>/dev/null
	for b in "${boxes[@]}"; do
		"$FIX" stop "$work/$b" >/dev/null 2>&1
	done
	[ -n "${CNORCH_TEST_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$work/laptop
export XDG_STATE_HOME=$work/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
unset SSH_AUTH_SOCK CNORCH_INVENTORY
KH=$HOME/.ssh/known_hosts
INV=$work/inventory.json

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -f "$work/out" ]; then sed 's/^/#   out: /' "$work/out"; fi
	if [ -f "$work/err" ]; then sed 's/^/#   err: /' "$work/err"; fi
}
check() {	# check NAME CONDITION...
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# start_box NAME [fixture options]: sets NAME_PORT NAME_USER NAME_HOME
# NAME_KEY NAME_DIR NAME_KHLINE.
start_box() {
	local name=$1; shift
	boxes+=("$name")
	if ! "$FIX" start "$work/$name" "$@" >"$work/$name.start" 2>&1; then
		cat "$work/$name.start" >&2
		echo "Bail out! cannot start box $name"
		exit 1
	fi
	# shellcheck disable=SC1090
	. "$work/$name/box.env"
	eval "${name}_PORT=\$BOX_PORT ${name}_USER=\$BOX_USER" \
	    "${name}_HOME=\$BOX_HOME ${name}_KEY=\$BOX_KEY" \
	    "${name}_DIR=\$BOX_DIR"
	eval "${name}_KHLINE=\$BOX_KNOWN_HOSTS_LINE"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# run ARGS...: cnorch with our inventory; sets rc, elapsed_ms; output in
# $work/out and $work/err.
run() {
	local t0
	t0=$(date +%s%N)
	"$CNORCH" -i "$INV" "$@" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
has_out() { grep -qF -- "$1" "$work/out"; }
has_err() { grep -qF -- "$1" "$work/err"; }
rc_is() { [ "$rc" -eq "$1" ]; }
faster_than() { [ "$elapsed_ms" -lt $(($1 * 1000)) ]; }

as_root=0
[ "$(id -u)" = 0 ] && as_root=1

# ------------------------------------------------------------- the boxes
# As root the fixture's users are made by useradd, whose accounts stay
# locked ("!") without a password, and sshd (UsePAM no) then refuses
# even keys: give key boxes a password nobody uses.
if [ $as_root = 1 ]; then
	unused_pw=(--password "unused-$RANDOM$RANDOM")
else
	unused_pw=()
fi
start_box box1 "${unused_pw[@]}"
start_box box2 "${unused_pw[@]}"
if [ $as_root = 1 ]; then
	start_box pwbox --password 'pw-Secret 1'
	# Password only: no key of ours is authorized there.
	: >"$pwbox_DIR/authorized_keys"
fi
closed_port=$(free_port)
# A listener whose backlog is full: SYNs are dropped, connect() hangs.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
cs = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    cs.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(300)' >"$work/blackhole.port" &
blackhole_pid=$!
for _ in $(seq 1 50); do
	[ -s "$work/blackhole.port" ] && break
	sleep 0.1
done
blackhole_port=$(cat "$work/blackhole.port")

# An RSA key of the laptop's, authorized on box1 (not in ~/.ssh: hosts
# without identity_file would offer it before their password).
ssh-keygen -q -t rsa -b 2048 -N '' -C laptop-rsa -f "$work/id_rsa" </dev/null
cat "$work/id_rsa.pub" >>"$box1_DIR/authorized_keys"
# A passphrase-protected key, for the prompt on a terminal.
ssh-keygen -q -t ed25519 -N 'pp-Secret' -C laptop-enc -f "$work/id_enc" </dev/null
cat "$work/id_enc.pub" >>"$box1_DIR/authorized_keys"

# The laptop knows box1, box2 and pwbox; box2's key is also recorded
# for box1's port in a second file (a "changed" host key).
{
	echo "# the user's own lines stay as they are"
	echo "$box1_KHLINE"
	echo "$box2_KHLINE"
	[ $as_root = 1 ] && echo "$pwbox_KHLINE"
} >"$KH"
box2_pub=$(cut -d" " -f1,2 "$box2_DIR/ssh_host_ed25519_key.pub")
echo "[127.0.0.1]:$box1_PORT $box2_pub" >"$work/kh_changed"

marker_cmd='touch "$HOME/marker"; echo ran'

export PW_GOOD='pw-Secret 1' PW_BAD='nope'
cat >"$INV" <<JSON
{
  "defaults": { "known_hosts_policy": "strict", "connect_timeout": 5 },
  "groups": { "pair": ["box1", "box2"] },
  "hosts": {
    "box1": { "host": "127.0.0.1", "port": $box1_PORT, "user": "$box1_USER",
              "identity_file": "$box1_KEY" },
    "box2": { "host": "127.0.0.1", "port": $box2_PORT, "user": "$box2_USER",
              "identity_file": "$box2_KEY" },
    "pwbox": { "host": "127.0.0.1", "port": ${pwbox_PORT:-1},
               "user": "${pwbox_USER:-nobody}", "identity_file": null,
               "password_env": "PW_GOOD" },
    "badpw": { "host": "127.0.0.1", "port": ${pwbox_PORT:-1},
               "user": "${pwbox_USER:-nobody}", "identity_file": null,
               "password_env": "PW_BAD" },
    "unknown": { "host": "127.0.0.1", "port": $box2_PORT,
                 "user": "$box2_USER", "identity_file": "$box2_KEY",
                 "known_hosts": "$work/kh_empty" },
    "acceptnew": { "host": "127.0.0.1", "port": $box2_PORT,
                   "user": "$box2_USER", "identity_file": "$box2_KEY",
                   "known_hosts": "$work/kh_new/.ssh/known_hosts",
                   "known_hosts_policy": "accept-new" },
    "acceptnew-strict": { "host": "127.0.0.1", "port": $box2_PORT,
                   "user": "$box2_USER", "identity_file": "$box2_KEY",
                   "known_hosts": "$work/kh_new/.ssh/known_hosts" },
    "changed": { "host": "127.0.0.1", "port": $box1_PORT,
                 "user": "$box1_USER", "identity_file": "$box1_KEY",
                 "known_hosts": "$work/kh_changed",
                 "known_hosts_policy": "accept-new" },
    "blackhole": { "host": "127.0.0.1", "port": ${blackhole_port:-1},
                   "user": "x", "identity_file": "$box1_KEY",
                   "connect_timeout": 2 },
    "closed": { "host": "127.0.0.1", "port": $closed_port, "user": "x",
                "identity_file": "$box1_KEY" },
    "rsabox": { "host": "127.0.0.1", "port": $box1_PORT,
                "user": "$box1_USER", "identity_file": "$work/id_rsa" },
    "enckey": { "host": "127.0.0.1", "port": $box1_PORT,
                "user": "$box1_USER", "identity_file": "$work/id_enc" }
  }
}
JSON

# ------------------------------------------------------------ the checks
run exec box1 -- 'echo hi; uname -m'
check "exec prints host-prefixed output" \
    eval 'rc_is 0 && has_out "box1: hi" && has_out "box1: $(uname -m)"'
check "exec keeps the host's output in a run log" \
    eval 'grep -qx hi "$(ls -d "$XDG_STATE_HOME"/cnorch/runs/*-exec-* | head -n1)/box1.log"'

run exec box1 -- 'echo out; echo err >&2; exit 0'
check "stderr lines go to stderr, prefixed" \
    eval 'rc_is 0 && has_err "box1: err" && ! has_out "err" && has_out "box1: out"'

run exec pair -- 'echo both'
check "two boxes ok -> exit 0" \
    eval 'rc_is 0 && has_out "box1: both" && has_out "box2: both"'

run exec pair -- "case \$HOME in *box2*) exit 3;; esac; echo fine"
check "one command fails -> exit 1, 'exit 3' reported" \
    eval 'rc_is 1 && has_out "box1: fine" && has_err "box2: exit 3" && ! has_err "box1: exit"'

run exec box1,closed -- 'exit 3'
check "unreachable wins over failed -> exit 3" \
    eval 'rc_is 3 && has_err "box1: exit 3" && has_err "closed: cannot connect"'

run exec closed -- 'true'
check "closed port -> exit 3 'cannot connect', quickly" \
    eval 'rc_is 3 && has_err "closed: cannot connect to 127.0.0.1 port $closed_port" && faster_than 5'

run exec blackhole -- 'true'
check "no answer to connect -> exit 3 'timed out after 2 s', in time" \
    eval 'rc_is 3 && has_err "blackhole: cannot connect to 127.0.0.1 port $blackhole_port: timed out after 2 s" && faster_than 5'

if [ $as_root = 1 ]; then
	run exec pwbox -- 'echo pw-ok'
	check "password-only box via password_env" \
	    eval 'rc_is 0 && has_out "pwbox: pw-ok"'

	rm -f "$pwbox_HOME/marker"
	run exec badpw -- "$marker_cmd"
	check "wrong password -> exit 3 'authentication failed', nothing run" \
	    eval 'rc_is 3 && has_err "badpw: authentication failed (tried: password)" && [ ! -e "$pwbox_HOME/marker" ]'
	check "the password never shows in output" \
	    eval '! grep -q "pw-Secret\|nope" "$work/out" "$work/err"'
else
	echo "ok - password-only box # SKIP password auth needs root"
	echo "ok - wrong password # SKIP password auth needs root"
fi

rm -f "$box2_HOME/marker"
run exec unknown -- "$marker_cmd"
check "strict + unknown host key -> exit 3 with fingerprint and how to accept" \
    eval 'rc_is 3 && has_err "unknown: host key for [127.0.0.1]:$box2_PORT is not known (ED25519 SHA256:" && has_err "ssh-keyscan -p $box2_PORT -t ed25519 127.0.0.1 >>" && has_err "accept-new"'
check "strict + unknown: nothing ran" eval '[ ! -e "$box2_HOME/marker" ] && ! has_out ran'
check "strict + unknown: fingerprint is the one ssh-keygen prints" \
    eval 'has_err "$(ssh-keygen -lf "$box2_DIR/ssh_host_ed25519_key.pub" | cut -d" " -f2)"'

run exec acceptnew -- 'echo first'
check "accept-new records the host and runs" \
    eval 'rc_is 0 && has_out "acceptnew: first" && [ "$(wc -l <"$work/kh_new/.ssh/known_hosts")" -eq 1 ] && grep -qxF "$box2_KHLINE" "$work/kh_new/.ssh/known_hosts"'
check "accept-new creates the file 0600 in a 0700 directory" \
    eval '[ "$(stat -c %a "$work/kh_new/.ssh/known_hosts")" = 600 ] && [ "$(stat -c %a "$work/kh_new/.ssh")" = 700 ]'
run exec acceptnew-strict -- 'echo second'
check "second run under strict works, still one line" \
    eval 'rc_is 0 && has_out "acceptnew-strict: second" && [ "$(wc -l <"$work/kh_new/.ssh/known_hosts")" -eq 1 ]'

rm -f "$box1_HOME/marker"
cp "$work/kh_changed" "$work/kh_changed.before"
run exec changed -- "$marker_cmd"
check "changed host key -> exit 3 'changed', nothing run, file untouched" \
    eval 'rc_is 3 && has_err "changed: host key for [127.0.0.1]:$box1_PORT changed (now ED25519 SHA256:" && has_err "refusing to connect" && [ ! -e "$box1_HOME/marker" ] && cmp -s "$work/kh_changed" "$work/kh_changed.before"'

cp "$KH" "$work/kh.before"
run exec box1 -- 'true'
check "the user's known_hosts is never rewritten" cmp -s "$KH" "$work/kh.before"

run exec rsabox -- 'echo rsa'
check "RSA key -> clear libssh2 / rsa-sha2 message" \
    eval 'rc_is 3 && has_err "rsabox: authentication failed (tried: publickey): libssh2 1.10 cannot use RSA key" && has_err "rsa-sha2" && has_err "ssh-keygen -t ed25519"'

# The passphrase prompt on a terminal (a pty): the right passphrase works;
# Ctrl-C aborts that host with a clear error and leaves echo on.
PTY="$CNORCH_SRC/tests/fixtures/pty_prompt.py"
python3 "$PTY" "passphrase" 'pp-Secret\r' -- "$CNORCH" -i "$INV" exec enckey -- 'echo via-enc' >"$work/out" 2>"$work/err"
check "passphrase prompt on a tty: echo off while asking, then runs" \
    eval 'has_out "exit=0" && has_out "[echo while prompting: off]" && has_out "enckey: via-enc" && ! has_out "pp-Secret"'
python3 "$PTY" "passphrase" 'half\x03' -- "$CNORCH" -i "$INV" exec enckey,box1 -- 'echo after' >"$work/out" 2>"$work/err"
check "Ctrl-C at the passphrase prompt: terminal restored, host aborted cleanly" \
    eval 'has_out "exit=3" && has_out "echo=on" && has_out "enckey: interrupted at the passphrase prompt" && has_out "box1: after"'

# Collected output is capped (a JSON reply cannot grow cnorch without
# bound); streams come in big chunks, not a callback per line.
probe() { "$CNORCH_SSH_PROBE" "$box1_PORT" "$box1_USER" "$box1_KEY" "$KH" "$@" >"$work/out" 2>"$work/err"; }
probe collect 1048576 'head -c 2000000 /dev/zero'
check "collect over a 1 MiB cap -> stopped, message names the cap" \
    eval 'has_out "rc=-28 " && has_out "went over the 1 MiB cap for collected output"'
probe collect 0 'head -c 3000000 /dev/zero; echo e >&2'
check "collect under the default cap -> every byte" \
    eval 'has_out "rc=0 out=3000000 err=2 "'
probe collect 0 'head -c 17000000 /dev/zero'
check "collect 17 MB -> over the default 16 MiB cap" \
    eval 'has_out "rc=-28 " && has_out "16 MiB cap"'
probe collect 1000 'head -c 1000 /dev/zero'
check "collect exactly at the cap is fine" eval 'has_out "rc=0 out=1000 "'
probe stream 'yes | head -c 4194304'
check "stream: 2M short lines arrive in big chunks, every byte" \
    eval 'has_out "rc=0 " && has_out " bytes=4194304 " && [ "$(sed -n "s/.*chunks=\([0-9]*\).*/\1/p" "$work/out")" -lt 2000 ] && [ "$(sed -n "s/.*max=\([0-9]*\).*/\1/p" "$work/out")" -gt 16384 ]'

run exec box1 --timeout 2 -- 'sleep 30; echo late'
gone=0
for _ in $(seq 1 30); do
	if ! pgrep -u "$box1_USER" -f 'sleep 30' >/dev/null 2>&1; then
		gone=1
		break
	fi
	sleep 0.1
done
check "--timeout 2 ends 'sleep 30' in time (exit 1, 'timed out')" \
    eval 'rc_is 1 && faster_than 10 && has_err "box1: timed out after 2 s" && ! has_out late'
check "--timeout leaves no 'sleep 30' on the box" [ $gone = 1 ]

run exec box1 --timeout 2 -- 'sleep 30 & sleep 31 & wait'
gone=0
for _ in $(seq 1 30); do
	if ! pgrep -u "$box1_USER" -f 'sleep 3[01]' >/dev/null 2>&1; then
		gone=1
		break
	fi
	sleep 0.1
done
check "--timeout ends background children too" \
    eval 'rc_is 1 && faster_than 10 && [ $gone = 1 ]'

run exec box1 -- "printf 'a b\\nno newline'; echo \"it's\" >&2"
check "last line without newline, quotes pass through" \
    eval 'rc_is 0 && has_out "box1: a b" && has_out "box1: no newline" && has_err "box1: it'"'"'s"'

run exec box1 -- 'kill -9 $$'
check "command killed by a signal -> exit 1, 'exit 255'" \
    eval 'rc_is 1 && has_err "box1: exit 255"'

run exec box1
check "missing command -> usage error (2)" rc_is 2
run exec box1 --timeout x -- true
check "bad --timeout -> usage error (2)" rc_is 2
run exec nosuchhost -- true
check "unknown target -> exit 2" rc_is 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
