#!/usr/bin/env bash
# The fleet view read the way a person reads it: `cnorch provision all` on
# five sandbox boxes (tests/fixtures/sshd-box.sh) runs inside a detached
# tmux session of a fixed size, and the pane is captured (tmux
# capture-pane) while the pulls run and at the end.  What is asserted is
# what is on the screen: one live row per host, no setup item lines once
# there are more than three hosts, nothing wider than the pane (-J joins a
# wrapped line back, so a row that wrapped shows as too long), the recap at
# the end.  A second run on two hosts keeps the per-line form.
#
# CNORCH_TEST_KEEP=1 keeps the work directory (and the captures in it).
# shellcheck disable=SC1090,SC1091  # box.env files are made at run time
# shellcheck disable=SC2016  # awk programs in single quotes
# shellcheck disable=SC2012  # run directories have plain names
set -u
: "${CNORCH:?}" "${CNORCH_SRC:?}"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

command -v tmux >/dev/null || { echo "1..0 # skip tmux not installed (tests/setup-deps.sh)"; exit 77; }

COLS=120 ROWS=30
NBOX=5
work=$(mktemp -d /tmp/cnorch-fleetview.XXXXXX)
chmod 755 "$work"
sock=$work/tmux.sock
boxes=()
hub_pid=""
cleanup() {
	local b
	tmux -S "$sock" kill-server >/dev/null 2>&1
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

export HOME=$work/laptop
mkdir -p "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy
unset no_proxy NO_PROXY
export XDG_STATE_HOME=$work/state

# Each connection capped, so the pulls last long enough to be seen.
python3 "$CNORCH_SRC/tests/fixtures/hubstub.py" --port 0 --conn-rate 65536 \
	--port-file "$work/hub.port" --log "$work/hub.log" 2>"$work/hub.err" &
hub_pid=$!
wait_for 100 test -s "$work/hub.port" || { echo "hubstub did not start"; cat "$work/hub.err"; exit 1; }
HUB=http://127.0.0.1:$(cat "$work/hub.port")

names=()
pids=()
for ((i = 1; i <= NBOX; i++)); do
	b=$(printf 'box%02d' "$i")
	names+=("$b")
	bash "$CNORCH_SRC/tests/fixtures/sshd-box.sh" start "$work/$b" \
		>/dev/null 2>"$work/$b.err" &
	pids+=($!)
done
wait "${pids[@]}"
hosts=""
for b in "${names[@]}"; do
	[ -s "$work/$b/box.env" ] || { echo "box $b did not start"; cat "$work/$b.err"; exit 1; }
	boxes+=("$b")
	( . "$work/$b/box.env"; echo "$BOX_KNOWN_HOSTS_LINE" ) >> "$HOME/.ssh/known_hosts"
	hosts="$hosts${hosts:+, }$( . "$work/$b/box.env"
	  printf '"%s": { "host": "127.0.0.1", "port": %s, "user": "%s", "identity_file": "%s", "data_dir": "~/autodl-tmp" }' \
		"$b" "$BOX_PORT" "$BOX_USER" "$BOX_KEY")"
done
inv=$work/inv.json
cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$HUB", "modelscope": "$HUB" },
    "pulls": [ { "repo": "test-org/tiny-model" } ] },
  "hosts": { $hosts } }
JSON

# run_in_tmux NAME TARGET: cnorch provision TARGET in a fresh pane of
# COLS x ROWS; its exit code lands in $work/NAME.rc.  The pane then waits
# for input, as a shell prompt would, so it can be read as it was left
# (remain-on-exit would scroll it by a line for its "Pane is dead").
printf 'set -g history-limit 5000\n' > "$work/tmux.conf"
run_in_tmux() {
	local name=$1 target=$2
	cat > "$work/$name.sh" <<SH
#!/usr/bin/env bash
export HOME='$HOME' XDG_STATE_HOME='$XDG_STATE_HOME'
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK
'$CNORCH' -i '$inv' provision '$target'
echo \$? > '$work/$name.rc'
read -r _
SH
	tmux -S "$sock" -f "$work/tmux.conf" new-session -d -s "$name" \
		-x "$COLS" -y "$ROWS" "bash '$work/$name.sh'"
}
# capture NAME FILE: the visible pane, wrapped lines joined (-J).
capture() { tmux -S "$sock" capture-pane -p -J -t "$1" > "$2"; }
# The whole pane's history too, for what scrolled away.
capture_all() { tmux -S "$sock" capture-pane -p -J -S - -t "$1" > "$2"; }

# A row: NAME, spaces, a phase word.  A permanent line: "NAME: ".
row_re() { printf '^%s +(waiting|connect|upload|setup|launch|pulling|done|failed|unreachable|detached)( |$)' "$1"; }

# ---------------------------------------------------------------- five hosts
run_in_tmux fleet all
mid=$work/mid.screen
pulling_now() {
	capture fleet "$mid" 2>/dev/null || return 1
	# A bar past 10% and a rate: the pulls are well under way.
	grep -Eq '^box0[1-5] +pulling +\[[=>]+ *\] +[1-9][0-9]% .*[KMG]iB/s' "$mid"
}
if wait_for 1200 pulling_now; then
	ok "a row shows pulling with a bar while the pulls run"
	echo "# screen while pulling:"; sed 's/^/#   /' "$mid"
	for b in "${names[@]}"; do
		n=$(grep -Ec "$(row_re "$b")" "$mid")
		check "mid: one live row for $b (got $n)" test "$n" = 1
	done
	check "mid: no setup item lines on the screen" bash -c "! grep -Eq '^box0[1-5]: (setup|payload|pull) ' '$mid'"
	check "mid: nothing wider than the pane" awk -v w="$COLS" 'length($0) > w { bad = 1 } END { exit bad }' "$mid"
	check "mid: the rows are the last lines, together" python3 - "$mid" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]).read().split("\n")]
while lines and lines[-1] == "":
    lines.pop()
rows = [i for i, l in enumerate(lines) if re.match(r"^box0[1-5] +\w", l)]
sys.exit(0 if rows and rows == list(range(rows[0], rows[0] + len(rows))) and rows[-1] == len(lines) - 1 else 1)
PY
else
	notok "a row shows pulling with a bar while the pulls run"
	capture fleet "$mid" 2>/dev/null; cat "$mid"
fi

wait_for 3000 test -s "$work/fleet.rc" || notok "provision all ended within 300 s"
end=$work/end.screen
hist=$work/end.history
# tmux reads the pane's last bytes on its own time: wait for the last line.
recap_shown() { capture fleet "$end" && grep -q '^box\[01-05\]: ' "$end"; }
wait_for 100 recap_shown
capture fleet "$end"
capture_all fleet "$hist"
echo "# screen at the end:"; sed 's/^/#   /' "$end"
check "end: exit 0 (got $(cat "$work/fleet.rc" 2>/dev/null))" test "$(cat "$work/fleet.rc" 2>/dev/null)" = 0
for b in "${names[@]}"; do
	check "end: recap line for $b" grep -Eq "^$b: ok=[0-9]+ changed=[1-9][0-9]* failed=0$" "$end"
	check "end: $b's pull done in the recap" grep -q "^$b: test-org/tiny-model@main done" "$end"
done
# The rows gave their lines to the recap: nothing pushed into history.
check "end: the rows never went to the history" bash -c "! grep -Eq '^box0[1-5] +(pulling|done) ' '$hist'"
check "end: the grouped recap" grep -Eq '^box\[01-05\]: changed$' "$end"
check "end: no live row left" bash -c "! grep -Eq '^box0[1-5] +(waiting|connect|upload|setup|launch|pulling|done|failed)( |$)' '$end'"
check "end: nothing wider than the pane" awk -v w="$COLS" 'length($0) > w { bad = 1 } END { exit bad }' "$hist"
check "end: no sanitizer report" bash -c "! grep -Eq 'Sanitizer|runtime error:' '$hist'"
check "end: no setup item line in the whole run" bash -c "! grep -Eq '^box0[1-5]: setup ' '$hist'"
# The run log still has every line the fleet view folded.
log=$(ls -d "$XDG_STATE_HOME"/cnorch/runs/*/ 2>/dev/null | head -n 1)
check "run log keeps the folded setup items" bash -c "grep -q 'setup ' '${log}box01.log'"

# ---------------------------------------------------------------- two hosts
# A few hosts whose lines fit: the per-line form stays.
run_in_tmux two 'box01,box02'
wait_for 1200 test -s "$work/two.rc" || notok "provision of two hosts ended within 120 s"
two_shown() { capture_all two "$work/two.history" && grep -q '^box\[01-02\]: ' "$work/two.history"; }
wait_for 100 two_shown
check "two hosts: exit 0" test "$(cat "$work/two.rc" 2>/dev/null)" = 0
check "two hosts: per-line form (payload lines)" grep -q '^box01: payload ok ' "$work/two.history"
check "two hosts: no fleet rows" bash -c "! grep -Eq '^box0[12] +(connect|upload|setup|pulling|done) ' '$work/two.history'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
