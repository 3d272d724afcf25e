#!/usr/bin/env bash
# shellcheck disable=SC1090  # box.env paths vary
# Benchmark the fleet runner on sandbox boxes (tests/fixtures/sshd-box.sh
# on 127.0.0.1) and the hub stand-in, each box pulling
# test-org/tiny-model (5 MiB):
#   1. provision 1 fresh box vs 8 fresh boxes at once: time ratio
#      (target <= 1.3),
#   2. provision 50 boxes with --forks 50: no error, and the laptop's peak
#      RSS from /usr/bin/time -v (target < 64 MiB),
#   3. `status` on 1 box vs `status all` on 20 boxes: time ratio (target
#      <= 2), median of 5 runs each.
# Not part of the test suite.  Root makes one system user per box (as the
# fixture does); otherwise every box is the current user.
#
# Env: CNORCH (default build/orchestrator/cnorch), BENCH_BOXES (default
# 50), BENCH_DIR (scratch, default a temp dir).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
CNORCH=${CNORCH:-$src/build/orchestrator/cnorch}
NBOX=${BENCH_BOXES:-50}
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cnorch-bfleet.XXXXXX")
chmod 755 "$W"
stub_pid=
started=()
cleanup() {
	local b
	for b in "${started[@]+"${started[@]}"}"; do
		bash "$src/tests/fixtures/sshd-box.sh" stop "$W/$b" >/dev/null 2>&1
	done
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in /usr/bin/time python3 /usr/sbin/sshd; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
[ -x "$CNORCH" ] || { echo "bench: no cnorch at $CNORCH (set CNORCH)" >&2; exit 1; }
[ "$NBOX" -ge 20 ] || { echo "bench: BENCH_BOXES must be >= 20" >&2; exit 1; }

export HOME=$W/laptop XDG_STATE_HOME=$W/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
: > "$HOME/.ssh/known_hosts"
unset CNORCH_INVENTORY HF_TOKEN SSH_AUTH_SOCK http_proxy https_proxy no_proxy NO_PROXY

python3 "$src/tests/fixtures/hubstub.py" --port 0 --port-file "$W/port" \
	--log "$W/stub.log" > "$W/stub.out" 2>&1 &
stub_pid=$!
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { echo "bench: hub stand-in did not start" >&2; exit 1; }
URL=http://127.0.0.1:$(cat "$W/port")

name() { printf 'b%02d' "$1"; }
start_one() {
	bash "$src/tests/fixtures/sshd-box.sh" start "$W/$1" \
		> /dev/null 2> "$W/$1.err"
}
echo "# starting $NBOX sandbox boxes"
t=$SECONDS
for ((i = 1; i <= NBOX; i += 10)); do
	pids=()
	for ((k = i; k < i + 10 && k <= NBOX; k++)); do
		start_one "$(name $k)" &
		pids+=($!)
	done
	wait "${pids[@]}"
done
hosts=""
for ((k = 1; k <= NBOX; k++)); do
	b=$(name $k)
	[ -s "$W/$b/box.env" ] || { echo "bench: box $b did not start" >&2; cat "$W/$b.err"; exit 1; }
	started+=("$b")
	. "$W/$b/box.env"
	echo "$BOX_KNOWN_HOSTS_LINE" >> "$HOME/.ssh/known_hosts"
	hosts="$hosts${hosts:+, }\"$b\": { \"host\": \"127.0.0.1\", \"port\": $BOX_PORT, \"user\": \"$BOX_USER\", \"identity_file\": \"$BOX_KEY\", \"data_dir\": \"~/data\" }"
done
echo "# boxes up in $((SECONDS - t)) s"
inv=$W/inv.json
cat > "$inv" <<JSON
{ "defaults": { "known_hosts_policy": "strict",
    "mirrors": { "hf": "$URL", "modelscope": "$URL" },
    "pulls": [ { "repo": "test-org/tiny-model" } ] },
  "hosts": { $hosts } }
JSON

# run NAME CMD...: wall seconds on stdout, output in $W/NAME.out, rc in
# $W/NAME.rc, cnorch's own CPU seconds (user+sys) in $W/NAME.cpu
run() {
	local n=$1; shift
	/usr/bin/time -f '%e %U %S' -o "$W/$n.time" "$@" > "$W/$n.out" 2>&1
	echo $? > "$W/$n.rc"
	awk '{ printf "%.2f\n", $2 + $3 }' "$W/$n.time" > "$W/$n.cpu"
	awk '{ print $1 }' "$W/$n.time"
}
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
fails=0
expect_ok() {
	if [ "$(cat "$W/$1.rc")" != 0 ]; then
		echo "bench: '$1' exited $(cat "$W/$1.rc"):" >&2
		tail -n 20 "$W/$1.out" >&2
		fails=$((fails + 1))
	fi
}

# 1. one fresh box vs eight fresh boxes
t1=$(run prov1 "$CNORCH" -i "$inv" provision b01)
expect_ok prov1
t8=$(run prov8 "$CNORCH" -i "$inv" provision 'b0[2-9]')
expect_ok prov8
r8=$(ratio "$t8" "$t1")
echo "provision: 1 box ${t1}s, 8 boxes ${t8}s, ratio $r8 (target <= 1.3);" \
	"cnorch's own CPU $(cat "$W/prov1.cpu")s vs $(cat "$W/prov8.cpu")s"

# 2. fifty at once: the 41 fresh ones and the 9 done ones, RSS measured
/usr/bin/time -v -o "$W/time50" "$CNORCH" -i "$inv" --forks 50 provision all \
	> "$W/prov50.out" 2>&1
echo $? > "$W/prov50.rc"
expect_ok prov50
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/time50")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$W/time50")
nok=$(grep -Ec '^b[0-9]+: ok=[0-9]+ changed=[0-9]+ failed=0$' "$W/prov50.out")
echo "provision all ($NBOX boxes, --forks 50): $wall wall, $nok/$NBOX ok, peak RSS $((rss / 1024)) MiB (target < 64 MiB)"

# 3. status: one box vs twenty, median of 5
med() { python3 -c "import sys; v = sorted(map(float, sys.argv[1:])); print('%.3f' % v[len(v) // 2])" "$@"; }
# exec true: what any command pays to open the sessions, for comparison.
twenty='b0[1-9],b1[0-9],b20'
s1=() s20=() e1=() e20=()
for _ in 1 2 3 4 5; do
	s1+=("$(run st1 "$CNORCH" -i "$inv" status b01)")
	expect_ok st1
	s20+=("$(run st20 "$CNORCH" -i "$inv" --forks 20 status "$twenty")")
	expect_ok st20
	e1+=("$(run ex1 "$CNORCH" -i "$inv" exec b01 -- true)")
	e20+=("$(run ex20 "$CNORCH" -i "$inv" --forks 20 exec "$twenty" -- true)")
done
m1=$(med "${s1[@]}")
m20=$(med "${s20[@]}")
n20=$(grep -c ' test-org--tiny-model@main done ' "$W/st20.out")
echo "status: 1 box ${m1}s, 20 boxes ${m20}s ($n20 jobs listed), ratio $(ratio "$m20" "$m1") (target <= 2);" \
	"cnorch's own CPU $(cat "$W/st1.cpu")s vs $(cat "$W/st20.cpu")s"
x1=$(med "${e1[@]}")
x20=$(med "${e20[@]}")
echo "baseline exec true: 1 box ${x1}s, 20 boxes ${x20}s, ratio $(ratio "$x20" "$x1")"
echo "# $(nproc) CPUs, shared by cnorch and every box's sshd and scripts"
[ "$fails" = 0 ]
