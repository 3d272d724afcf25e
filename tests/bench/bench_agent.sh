#!/usr/bin/env bash
# Benchmark cnorch-agent against curl and aria2c (hfd.sh's engine) on the hub
# stand-in, same run, each connection capped as CN mirrors throttle (issue 11):
#   A  48 MiB at 1 MiB/s per connection          -x 8
#   B  256 MiB at 8 MiB/s                        -x 8
#   C  2 GiB at 8 MiB/s                          -x 8
#   D  4 files of 64 MiB at 8 MiB/s              -j 4 -x 8
#   U  uncapped (agent vs curl)                  -x 8
#   F  two sources: mirror capped A per connection + ModelScope capped B;
#      aria2c -x 8 -s 16 given both URLs, the agent with --source auto
# The table gives time, MiB/s, agent / aria2c (speed), agent / physical limit
# (connections x cap), and where the agent's time goes: plan, first byte,
# last byte, verify tail, commit (from its events and the stand-in's request
# log), and the rate over the last 10% of each file (from the stand-in's log:
# each body request sends its bytes evenly between its start and its end).
# Then, unless BENCH_EXTRA=0: stalls/drops and peak RSS on a 4 GiB file.
# Not part of the test suite.  Needs curl, aria2c, numfmt, /usr/bin/time.
#
# Env: CNORCH_AGENT (default build/remote/cnorch-agent); BENCH_QUICK=1 (small
# sizes, no capped curl, no extras: well under 2 minutes); per case
# BENCH_{A,B,C,D,U,F}_SIZE (48M, 256M, 2G, 64M each, 1G, 256M),
# BENCH_{A,B,C,D}_CAP (1M, 8M, 8M, 8M), BENCH_F_CAP_MIRROR / _MS (2M, 2M);
# BENCH_CASES (default "A B C D U F"); BENCH_CURL_MAX_S (skip a capped curl
# run expected to take longer, default 60); BENCH_XET=1 (LFS files answer by
# the Xet bridge route); BENCH_EXTRA (1; 0 in quick mode); BENCH_4G (1);
# BENCH_DIR (scratch parent, default $TMPDIR or /tmp; removed at exit).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
AGENT=${CNORCH_AGENT:-$src/build/remote/cnorch-agent}
STUB=$src/tests/fixtures/hubstub.py
QUICK=${BENCH_QUICK:-0}
b() { numfmt --from=iec "$1"; }
if [ "$QUICK" = 1 ]; then
	dA=16M dB=64M dC=256M dD=32M dU=256M dF=64M
	EXTRA=${BENCH_EXTRA:-0}
	CURL_MAX=${BENCH_CURL_MAX_S:-0}
else
	dA=48M dB=256M dC=2G dD=64M dU=1G dF=256M
	EXTRA=${BENCH_EXTRA:-1}
	CURL_MAX=${BENCH_CURL_MAX_S:-60}
fi
SA=$(b "${BENCH_A_SIZE:-$dA}") CA=$(b "${BENCH_A_CAP:-1M}")
SB=$(b "${BENCH_B_SIZE:-$dB}") CB=$(b "${BENCH_B_CAP:-8M}")
SC=$(b "${BENCH_C_SIZE:-$dC}") CC=$(b "${BENCH_C_CAP:-8M}")
SD=$(b "${BENCH_D_SIZE:-$dD}") CD=$(b "${BENCH_D_CAP:-8M}")
SU=$(b "${BENCH_U_SIZE:-$dU}")
SF=$(b "${BENCH_F_SIZE:-$dF}")
CFM=$(b "${BENCH_F_CAP_MIRROR:-2M}") CFS=$(b "${BENCH_F_CAP_MS:-2M}")
CASES=${BENCH_CASES:-A B C D U F}
XET=${BENCH_XET:-0}
BIG4=${BENCH_4G:-1}

W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cnorch-bench.XXXXXX")
m_pid= s_pid=
cleanup() {
	for p in $m_pid $s_pid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in curl aria2c numfmt /usr/bin/time python3; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
[ -x "$AGENT" ] || { echo "bench: no agent at $AGENT" >&2; exit 1; }

# One spec for both instances: the mirror (M, HF API, 127.0.0.1) and
# ModelScope (S, 127.0.0.2 so aria2c counts it as another server): the
# same bytes and sha256 under each API.
python3 - "$W/repos.json" "$SA" "$SB" "$SC" "$SD" "$SU" "$SF" "$BIG4" "$EXTRA" <<'PY'
import json, sys
out, sa, sb, sc, sd, su, sf, big4, extra = sys.argv[1:]
one = lambda s: {"modelscope": True, "files": [
    {"path": "model.safetensors", "size": int(s), "lfs": True}]}
spec = {"models": {
    "bench/a": one(sa), "bench/b": one(sb), "bench/c": one(sc), "bench/u": one(su),
    "bench/f": one(sf),
    "bench/d": {"files": [{"path": "model-%05d-of-00004.safetensors" % (i + 1),
                           "size": int(sd), "lfs": True} for i in range(4)]}}}
if extra == "1":
    spec["models"]["bench/g"] = one(1 << 30)
    if big4 == "1":
        spec["models"]["bench/huge"] = one(4 << 30)
json.dump(spec, open(out, "w"))
PY

start() { # start NAME HOST -> port on stdout
	python3 "$STUB" --host "$2" --port 0 --port-file "$W/$1.port" --repos "$W/repos.json" \
		--log "$W/$1.log" >"$W/$1.out" 2>&1 &
	echo $! >"$W/$1.pid"
	for _ in $(seq 100); do [ -s "$W/$1.port" ] && break; sleep 0.1; done
	[ -s "$W/$1.port" ] || { cat "$W/$1.out" >&2; echo "bench: stub $1 did not start" >&2; exit 1; }
}
start M 127.0.0.1; m_pid=$(cat "$W/M.pid")
start S 127.0.0.2; s_pid=$(cat "$W/S.pid")
M=http://127.0.0.1:$(cat "$W/M.port")
S=http://127.0.0.2:$(cat "$W/S.port")

echo "# warming the stand-ins (hashing their files once; big ones cached in ~/.cache)..."
curl -sf "$M/_stub/repos" >"$W/files.json" || { echo "bench: no /_stub/repos" >&2; exit 1; }
curl -sf "$S/_stub/repos" >/dev/null

faults() { # faults URL CAP [extra JSON members]
	curl -sf -X POST -d "{\"conn_rate_bps\": $2, \"xet_all\": $([ "$XET" = 1 ] && echo true || echo false)${3:+, $3}}" \
		"$1/_stub/faults" >/dev/null
}
now() { date +%s.%N; }
# record CASE TOOL T0 T1 RC LIMIT_BPS REPO: one line for the report
record() {
	local u
	for u in "$M" "$S"; do # the stand-in logs a request once its reply is out
		for _ in $(seq 50); do
			curl -sf "$u/_stub/stats" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["in_flight"] != 0)' && break
			sleep 0.05
		done
	done
	cp "$W/M.log" "$W/$1-$2.M.log"; cp "$W/S.log" "$W/$1-$2.S.log"
	: >"$W/M.log"; : >"$W/S.log"
	printf '{"case":"%s","tool":"%s","t0":%s,"t1":%s,"rc":%s,"limit":%s,"repo":"%s"}\n' \
		"$@" >>"$W/results.jsonl"
}
paths() { python3 -c 'import json,sys; print(" ".join(f["path"] for r in json.load(open(sys.argv[1])) if r["id"]==sys.argv[2] for f in r["files"]))' "$W/files.json" "$1"; }

# run CASE REPO CAP CONNS_TOTAL JOBS: curl, aria2c and the agent on one repo
run() {
	local c=$1 repo=$2 cap=$3 conns=$4 jobs=$5 t0 t1 rc p urls=() limit
	limit=$((cap * conns))
	faults "$M" "$cap"; : >"$W/M.log"; : >"$W/S.log"
	for p in $(paths "$repo"); do urls+=("$M/$repo/resolve/main/$p"); done
	local size expect_s
	size=$(python3 -c 'import json,sys; print(sum(f["size"] for r in json.load(open(sys.argv[1])) if r["id"]==sys.argv[2] for f in r["files"]))' "$W/files.json" "$repo")
	# curl: one stream per file (files in parallel with -Z)
	expect_s=$([ "$cap" = 0 ] && echo 0 || echo $((size / cap / ${#urls[@]})))
	if [ "$cap" = 0 ] || [ "$expect_s" -le "$CURL_MAX" ]; then
		rm -rf "$W/out"; mkdir -p "$W/out"
		t0=$(now)
		(cd "$W/out" && curl -sfL -Z --parallel-max "$jobs" --remote-name-all "${urls[@]}" \
			2>/dev/null); rc=$?
		t1=$(now); record "$c" curl "$t0" "$t1" "$rc" "$((cap * jobs))" "$repo"
	fi
	if [ "$cap" != 0 ]; then
		rm -rf "$W/out"; mkdir -p "$W/out"
		printf '%s\n' "${urls[@]}" | awk '{print; n=split($0,a,"/"); print "  out=" NR "-" a[n]}' >"$W/aria.in"
		t0=$(now)
		aria2c -q -x 8 -s 8 -k 1M -j "$jobs" --file-allocation=none --allow-overwrite=true \
			--auto-file-renaming=false -d "$W/out" -i "$W/aria.in"; rc=$?
		t1=$(now); record "$c" aria2c "$t0" "$t1" "$rc" "$limit" "$repo"
	fi
	rm -rf "$W/out" "$W/hub"
	t0=$(now)
	"$AGENT" pull --endpoint "$M" --repo "$repo" --cache-dir "$W/hub" --source hf --json \
		-x 8 -j "$jobs" >"$W/$c-agent.jsonl" 2>"$W/$c-agent.err"; rc=$?
	t1=$(now); record "$c" agent "$t0" "$t1" "$rc" "$limit" "$repo"
	[ "$rc" = 0 ] || echo "bench: agent failed in case $c: $(tail -1 "$W/$c-agent.err")" >&2
	rm -rf "$W/out" "$W/hub"
}

# two sources for one file: mirror capped at CFM per connection, ModelScope at CFS
run_two() {
	local c=F repo=bench/f t0 t1 rc limit=$((8 * CFM + 8 * CFS))
	faults "$M" "$CFM"; faults "$S" "$CFS"; : >"$W/M.log"; : >"$W/S.log"
	rm -rf "$W/out"
	t0=$(now)
	aria2c -q -x 8 -s 16 -k 1M --file-allocation=none --allow-overwrite=true \
		--auto-file-renaming=false -d "$W/out" -o model.safetensors \
		"$M/$repo/resolve/main/model.safetensors" \
		"$S/api/v1/models/$repo/repo?Revision=master&FilePath=model.safetensors"; rc=$?
	t1=$(now); record "$c" aria2c "$t0" "$t1" "$rc" "$limit" "$repo"
	rm -rf "$W/out" "$W/hub"
	t0=$(now)
	"$AGENT" pull --endpoint "$M" --modelscope-endpoint "$S" --repo "$repo" \
		--cache-dir "$W/hub" --source auto --json -x 8 >"$W/$c-agent.jsonl" \
		2>"$W/$c-agent.err"; rc=$?
	t1=$(now); record "$c" agent "$t0" "$t1" "$rc" "$limit" "$repo"
	[ "$rc" = 0 ] || echo "bench: agent failed in case F: $(tail -1 "$W/$c-agent.err")" >&2
	rm -rf "$W/hub"
}

for c in $CASES; do
	case $c in
	A) echo "# A: $((SA >> 20)) MiB at $((CA >> 10)) KiB/s per connection"; run A bench/a "$CA" 8 1 ;;
	B) echo "# B: $((SB >> 20)) MiB at $((CB >> 10)) KiB/s per connection"; run B bench/b "$CB" 8 1 ;;
	C) echo "# C: $((SC >> 20)) MiB at $((CC >> 10)) KiB/s per connection"; run C bench/c "$CC" 8 1 ;;
	D) echo "# D: 4 x $((SD >> 20)) MiB at $((CD >> 10)) KiB/s per connection, -j 4"; run D bench/d "$CD" 32 4 ;;
	U) echo "# U: $((SU >> 20)) MiB uncapped"; run U bench/u 0 8 1 ;;
	F) echo "# F: $((SF >> 20)) MiB, mirror $((CFM >> 10)) KiB/s + ModelScope $((CFS >> 10)) KiB/s per connection"; run_two ;;
	*) echo "bench: unknown case $c" >&2 ;;
	esac
done

echo
echo "# cnorch-agent vs curl and aria2c, hub stand-in on loopback, $(nproc) cores$([ "$XET" = 1 ] && echo ", Xet bridge route")"
python3 - "$W" <<'PY'
import glob, hashlib, json, os, sys
from urllib.parse import parse_qs

W = sys.argv[1]
res = [json.loads(l) for l in open(os.path.join(W, "results.jsonl"))]
repos = {r["id"]: r for r in json.load(open(os.path.join(W, "files.json")))}
MiB = 1 << 20

def file_key(repo):
    """request -> (repo path) for the bodies of this repo's files."""
    keys = {}
    for f in repos[repo]["files"]:
        keys[f["sha256"]] = f["path"]
        keys[hashlib.sha256(b"cnorch-hubstub-xet\0" + f["sha256"].encode()).hexdigest()] = f["path"]
    def k(rec):
        if rec["status"] not in (200, 206) or not rec["bytes"]:
            return None
        p = rec["path"]
        if p.startswith("/cdn/") or p.startswith("/cas-bridge"):
            return keys.get(p.rsplit("/", 1)[-1])
        if p.endswith("/repo") and ("/%s/" % repo) in p:
            return parse_qs(rec["query"]).get("FilePath", [None])[0]
        return None
    return k

def bodies(r):
    k = file_key(r["repo"])
    out = {}
    for side in ("M", "S"):
        fn = os.path.join(W, "%s-%s.%s.log" % (r["case"], r["tool"], side))
        for line in open(fn):
            rec = json.loads(line)
            path = k(rec)
            if path:
                out.setdefault(path, []).append((rec["t"], rec["t"] + rec["ms"] / 1000.0,
                                                 rec["bytes"]))
    return out

def last10(reqs):
    """MiB/s over the last 10% of a file's bytes, each request sending
    evenly between its start and end."""
    total = sum(n for _, _, n in reqs)
    lo, hi = min(a for a, _, _ in reqs), max(e for _, e, _ in reqs)
    def cum(t):
        return sum(n * min(1.0, max(0.0, (t - a) / (e - a))) if e > a else (n if t >= e else 0)
                   for a, e, n in reqs)
    a, e = lo, hi
    for _ in range(60):
        m = (a + e) / 2
        if cum(m) < 0.9 * total:
            a = m
        else:
            e = m
    if hi - e < 0.005:  # under the log's 1 ms resolution: not measurable
        return None
    return (0.1 * total) / (hi - e) / MiB

size_of = lambda repo: sum(f["size"] for f in repos[repo]["files"])
rows = {}
for r in res:
    rows.setdefault(r["case"], {})[r["tool"]] = r
names = {"A": "A 1 file, capped", "B": "B 1 file, capped", "C": "C 1 file, capped",
         "D": "D 4 files -j 4", "U": "U uncapped", "F": "F mirror+ModelScope"}
print("%-26s %10s | %9s %7s | %9s %7s | %9s %7s | %7s %7s %7s" % (
    "case (MiB, cap/conn)", "limit", "curl s", "MiB/s", "aria2c s", "MiB/s",
    "agent s", "MiB/s", "ag/curl", "ag/aria", "ag/lim"))
detail = []
for c in sorted(rows, key=lambda x: "ABCDUF".index(x)):
    t = rows[c]
    any_r = next(iter(t.values()))
    size = size_of(any_r["repo"])
    lim = t["agent"]["limit"] if t.get("agent") else 0
    cells = []
    speed = {}
    for tool in ("curl", "aria2c", "agent"):
        r = t.get(tool)
        if not r:
            cells.append("%9s %7s" % ("-", "-"))
            continue
        dt = r["t1"] - r["t0"]
        speed[tool] = size / dt / MiB
        mark = "" if r["rc"] == 0 else "!"
        cells.append("%9.2f %7.1f" % (dt, speed[tool]) + mark)
    ratio = lambda a, b: ("%7.2f" % (speed[a] / speed[b])) if a in speed and b in speed else "%7s" % "-"
    limtxt = "%.0f" % (lim / MiB) if lim else "-"
    agl = ("%7.2f" % (speed["agent"] / (lim / MiB))) if lim and "agent" in speed else "%7s" % "-"
    print("%-26s %10s | %s | %s | %s | %s %s %s" % (
        "%s (%d)" % (names.get(c, c), size // MiB), limtxt + " MiB/s" if lim else "-",
        cells[0], cells[1], cells[2], ratio("agent", "curl"), ratio("agent", "aria2c"), agl))
    for tool in ("agent", "aria2c"):
        r = t.get(tool)
        if r:
            detail.append((c, tool, r))

print()
print("where the agent's time goes (s from start) and the rate over each file's last 10%")
print("%-4s %-7s %6s %8s %8s %8s %7s %6s  %s" % ("case", "tool/src", "plan", "1st byte", "last byte",
                                                "verify", "commit", "exit", "last 10% MiB/s per file"))
for c, tool, r in detail:
    bs = bodies(r)
    if not bs:
        continue
    t0 = r["t0"]
    first = min(a for reqs in bs.values() for a, _, _ in reqs) - t0
    last = max(e for reqs in bs.values() for _, e, _ in reqs) - t0
    plan = verify = commit = "-"
    if tool == "agent":
        ev = []
        try:
            ev = [json.loads(l) for l in open(os.path.join(W, "%s-agent.jsonl" % c)) if l.strip()]
        except (OSError, ValueError):
            pass
        p = [e["ts"] for e in ev if e.get("event") == "plan"]
        fd = [e["ts"] for e in ev if e.get("event") == "file_done"]
        dn = [e["ts"] for e in ev if e.get("event") == "done"]
        plan = "%6.2f" % (p[0] - t0) if p else "-"
        src = [e.get("source") for e in ev if e.get("event") == "plan"]
        if src and src[0]:
            tool = "ag/" + src[0][:4]
        if fd:
            verify = "%8.2f" % (max(fd) - t0 - last)
            if dn:
                commit = "%7.2f" % (dn[-1] - max(fd))
        srcs = [e for e in ev if e.get("event") == "source"]
        if srcs:
            print("      sources: " + "; ".join(json.dumps({k: v for k, v in e.items()
                                                          if k not in ("ts", "job", "event")})
                                                for e in srcs[:4]))
    ex = "%6.2f" % (r["t1"] - t0)
    per = ", ".join("%s %s" % (os.path.basename(pth)[:14], "%.1f" % v if v else "n/a")
                    for pth, reqs in sorted(bs.items()) for v in [last10(reqs)])
    print("%-4s %-7s %6s %8.2f %8.2f %8s %7s %6s  %s" % (c, tool, plan, first, last, verify,
                                                       commit, ex, per))
print()
print("limit = connections x per-connection cap (D: 4 files x 8; F: 8 x mirror cap + "
      "8 x ModelScope cap); ag/aria = agent speed / aria2c speed; verify = last byte "
      "served -> last file_done; commit = last file_done -> done; '!' = non-zero exit.")
PY

[ "$EXTRA" = 1 ] || exit 0

# ---- extras: stalls and drops, peak RSS (1 GiB and 4 GiB files)
CAP=${BENCH_CAP_BPS:-16777216}
GB=$((1 << 30))
echo
echo "## stalls and drops on 1 GiB (stall-timeout 2 s, $((CAP >> 20)) MiB/s per connection)"
curl -sf -X POST -d "{\"rules\":[
	{\"match\":\"/cdn/\",\"kind\":\"rate\",\"bps\":$CAP},
	{\"match\":\"/cdn/\",\"kind\":\"stall\",\"after_bytes\":2000000,\"first\":4},
	{\"match\":\"/cdn/\",\"kind\":\"drop\",\"after_bytes\":5000000,\"first\":8}]}" \
	"$M/_stub/faults" >/dev/null
curl -sf -X POST "$M/_stub/reset-stats" >/dev/null
rm -rf "$W/hub"
t0=$(now)
/usr/bin/time -f '%M' -o "$W/faults.rss" "$AGENT" pull --endpoint "$M" --repo bench/g \
	--cache-dir "$W/hub" --source hf --json -x 8 --stall-timeout 2 >"$W/faults.jsonl" \
	2>"$W/faults.err" || echo "agent failed: $(tail -1 "$W/faults.err")"
t1=$(now)
rm -rf "$W/hub"
s=$(curl -sf "$M/_stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_sent"])')
echo "throughput = $(python3 -c "print('%.1f' % ($GB / ($t1 - $t0) / 1048576))") MiB/s, peak RSS $(($(cat "$W/faults.rss") / 1024)) MiB"
echo "bytes fetched / file size = $(python3 -c "print('%.4f' % ($s / $GB))")   (target <= 1.05)"
python3 - "$W/faults.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
stalls = [e for e in ev if e["event"] == "stall"]
retries = [e for e in ev if e["event"] == "retry"]
# a stall is seen stall-timeout after the last byte; the connection is
# reopened after the retry delay that follows it
worst = 0.0
for s in stalls:
    after = [r for r in retries if r["ts"] >= s["ts"] and r.get("path") == s["path"]]
    worst = max(worst, 2.0 + (after[0].get("delay_s", 0.0) if after else 0.0))
print("stalls = %d, retries = %d, slowest stall recovery = %.2f s (target <= stall-timeout + 3 s)"
      % (len(stalls), len(retries), worst))
done = [e for e in ev if e["event"] == "done"]
print("result = %s" % (done[-1]["status"] if done else "no done event"))
PY
if [ "$BIG4" = 1 ]; then
	echo
	echo "## peak RSS on a 4 GiB file (uncapped)"
	curl -sf -X POST -d '{}' "$M/_stub/faults" >/dev/null
	rm -rf "$W/hub"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$W/huge.rss" "$AGENT" pull --endpoint "$M" --repo bench/huge \
		--cache-dir "$W/hub" --source hf -x 8 >/dev/null 2>"$W/huge.err" ||
		echo "agent failed: $(tail -1 "$W/huge.err")"
	t1=$(now)
	rm -rf "$W/hub"
	echo "4 GiB in $(python3 -c "print('%.1f' % ($t1 - $t0))") s, peak RSS = $(($(cat "$W/huge.rss") / 1024)) MiB   (target < 32)"
fi
