#!/usr/bin/env bash
# The build's promises: cnorch-agent is one fully static x86-64 binary that
# starts with no libraries around it, and the payload embedded in cnorch is
# byte for byte the agent and setup script that were built.
set -u
: "${CNORCH:?}" "${CNORCH_AGENT:?}" "${CNORCH_SRC:?}" "${CNORCH_BUILD:?}"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

static=$(meson introspect --buildoptions "$CNORCH_BUILD" 2>/dev/null |
	python3 -c 'import json,sys; print(str([o["value"] for o in json.load(sys.stdin) if o["name"]=="static_agent"][0]).lower())')

"$CNORCH" version > "$work/version" 2>&1
check "cnorch version names every library" \
	grep -q '^libssh2 ' "$work/version"
check "cnorch version shows jansson and openssl" \
	bash -c "grep -q '^jansson ' '$work/version' && grep -q '^openssl ' '$work/version'"
agent_sha=$(sha256sum "$CNORCH_AGENT" | cut -d' ' -f1)
setup_sha=$(sha256sum "$CNORCH_SRC/payload/setup-china-mirrors.sh" | cut -d' ' -f1)
check "embedded agent sha256 is the built agent's" \
	grep -q "^  $agent_sha cnorch-agent " "$work/version"
check "embedded setup script sha256 is the source's" \
	grep -q "^  $setup_sha setup-china-mirrors.sh " "$work/version"
# The payload id is the sha256 of SHA256SUMS, recomputable by anyone.
sums=$(printf '%s  cnorch-agent\n%s  setup-china-mirrors.sh\n' "$agent_sha" "$setup_sha")
want_id=$(printf '%s\n' "$sums" | sha256sum | cut -d' ' -f1)
check "payload id is sha256 of SHA256SUMS" \
	grep -qx "payload $want_id" "$work/version"
# The bytes inside cnorch are the agent: find the agent's image in it.
check "cnorch carries the agent's bytes" python3 - "$CNORCH" "$CNORCH_AGENT" <<'PY'
import sys
big = open(sys.argv[1], "rb").read()
agent = open(sys.argv[2], "rb").read()
sys.exit(0 if agent in big else 1)
PY

"$CNORCH_AGENT" --version > "$work/aversion" 2>&1
check "agent --version names libcurl, OpenSSL and jansson" \
	grep -q 'cnorch-agent .*libcurl/.*OpenSSL/.*jansson' "$work/aversion"

if [ "$static" = true ]; then
	check "file says statically linked" \
		bash -c "file '$CNORCH_AGENT' | grep -q 'statically linked'"
	check "ldd says not a dynamic executable" \
		bash -c "ldd '$CNORCH_AGENT' 2>&1 | grep -q 'not a dynamic executable'"
	size=$(stat -c %s "$CNORCH_AGENT")
	check "stripped agent is under 8 MiB ($size bytes)" \
		test "$size" -lt $((8 * 1024 * 1024))
	# An empty root: just the binary, no libc, no /etc, no CA bundle.
	mkdir -p "$work/root"
	cp "$CNORCH_AGENT" "$work/root/cnorch-agent"
	if [ "$(id -u)" = 0 ]; then
		runroot() { chroot "$work/root" /cnorch-agent --version; }
	elif unshare -r true 2>/dev/null; then
		runroot() { unshare -r chroot "$work/root" /cnorch-agent --version; }
	else
		runroot() { echo "skip: no root and no user namespaces" >&2; return 2; }
	fi
	out=$(runroot 2>&1); rc=$?
	if [ $rc = 2 ] && [ -z "${out##skip*}" ]; then
		echo "ok - agent starts in an empty chroot # SKIP $out"
	else
		check "agent starts in an empty chroot" \
			bash -c "[ $rc = 0 ] && printf '%s' '$out' | grep -q '^cnorch-agent '"
	fi
else
	echo "ok - static checks # SKIP static_agent=false in this build"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
