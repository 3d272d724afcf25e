#!/usr/bin/env bash
# Host keys, with the real ssh client as the oracle: one sshd box (the
# fixture: 127.0.0.1 on a free port, ed25519 host key, ed25519 client key
# BOX_KEY for user BOX_USER), a table of known_hosts files, and for each
# the decision of `ssh -o StrictHostKeyChecking=yes` and of `cnorch exec`
# with the same file.  They must agree; where a row says "stricter",
# cnorch refuses what ssh accepts, on purpose (never the other way round).
# A few accept-new rows also check that the line cnorch records is one
# ssh then accepts (plain and hashed).
set -u

: "${CNORCH:?set CNORCH to the cnorch binary}"
: "${CNORCH_SRC:?set CNORCH_SRC to the source tree}"
FIX=$CNORCH_SRC/tests/fixtures/sshd-box.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/cnorch-khoracle.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
	"$FIX" stop "$work/box" >/dev/null 2>&1
	[ -n "${CNORCH_TEST_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$work/laptop
export XDG_STATE_HOME=$work/state
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
unset SSH_AUTH_SOCK CNORCH_INVENTORY

if ! "$FIX" start "$work/box" >"$work/box.start" 2>&1; then
	cat "$work/box.start" >&2
	echo "Bail out! cannot start the sshd box"
	exit 1
fi
# shellcheck disable=SC1091
. "$work/box/box.env"
P=$BOX_PORT
KEY=$BOX_HOSTKEY_PUB			# "ssh-ed25519 AAAA..."
ssh-keygen -q -t ed25519 -N '' -C other -f "$work/other" </dev/null
ssh-keygen -q -t ecdsa -b 256 -N '' -C other-ecdsa -f "$work/other_ecdsa" </dev/null
WRONG=$(cut -d' ' -f1,2 "$work/other.pub")
WRONG_ECDSA=$(cut -d' ' -f1,2 "$work/other_ecdsa.pub")

# HostKeyAlias comes from ~/.ssh/config, for ssh and for cnorch alike.
cat >"$HOME/.ssh/config" <<CFG
Host aliasbox
	HostName 127.0.0.1
	Port $P
	HostKeyAlias MyBox.alias
CFG

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }

# ssh_decide TARGET FILE POLICY (yes | accept-new): "connect", "refuse"
# (a host key refusal, nothing else), or "error" (anything else).
ssh_decide() {
	local target=$1 file=$2 policy=$3 dest=127.0.0.1
	local -a port=(-p "$P")
	if [ "$target" = aliasbox ]; then dest=aliasbox; port=(); fi
	if ssh -F "$HOME/.ssh/config" "${port[@]}" -i "$BOX_KEY" \
	    -o IdentitiesOnly=yes -o StrictHostKeyChecking="$policy" \
	    -o UserKnownHostsFile="$file" -o GlobalKnownHostsFile=/dev/null \
	    -o BatchMode=yes -o UpdateHostKeys=no -o CheckHostIP=no \
	    -o ConnectTimeout=10 -o LogLevel=ERROR \
	    "$BOX_USER@$dest" true </dev/null >"$work/ssh.out" 2>&1; then
		echo connect
	elif grep -q "Host key verification failed" "$work/ssh.out"; then
		echo refuse
	else
		echo error
	fi
}

# cnorch_decide TARGET FILE POLICY: the same through `cnorch exec`
# (exit 3 naming the host key is a refusal).
cnorch_decide() {
	local target=$1 file=$2 policy=$3 inv=$work/inventory.json rc
	[ "$policy" = yes ] && policy=strict
	if [ "$target" = aliasbox ]; then
		# Host and port from ~/.ssh/config, as ssh takes them.
		cat >"$inv" <<JSON
{ "hosts": { "aliasbox": { "user": "$BOX_USER",
  "identity_file": "$BOX_KEY", "known_hosts": "$file",
  "known_hosts_policy": "$policy", "connect_timeout": 10 } } }
JSON
	else
		cat >"$inv" <<JSON
{ "hosts": { "box": { "host": "127.0.0.1", "port": $P,
  "user": "$BOX_USER", "identity_file": "$BOX_KEY",
  "known_hosts": "$file", "known_hosts_policy": "$policy",
  "connect_timeout": 10 } } }
JSON
	fi
	"$CNORCH" -i "$inv" exec "$target" -- true </dev/null \
	    >"$work/cnorch.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo connect
	elif [ $rc -eq 3 ] && grep -q "host key for " "$work/cnorch.out"; then
		echo refuse
	else
		echo error
	fi
}

rows=0
printf '%-44s %-8s %-8s %s\n' "known_hosts variant" ssh cnorch verdict
# row NAME EXPECT TARGET POLICY CONTENT
#   EXPECT: "same", or "stricter" (ssh connects, cnorch refuses: why in NAME)
row() {
	local name=$1 expect=$2 target=$3 policy=$4 content=$5
	local f=$work/kh.$rows s c verdict
	rows=$((rows + 1))
	printf '%s' "$content" >"$f.ssh"
	cp "$f.ssh" "$f.cnorch"
	s=$(ssh_decide "$target" "$f.ssh" "$policy")
	c=$(cnorch_decide "$target" "$f.cnorch" "$policy")
	if [ "$s" = "$c" ] && [ "$expect" = same ]; then
		verdict=same
	elif [ "$s" = connect ] && [ "$c" = refuse ] &&
	    [ "$expect" = stricter ]; then
		verdict="stricter (expected)"
	else
		verdict="WRONG (expected $expect)"
	fi
	printf '%-44s %-8s %-8s %s\n' "$name" "$s" "$c" "$verdict" >>"$work/table"
	printf '%-44s %-8s %-8s %s\n' "$name" "$s" "$c" "$verdict"
	case $verdict in
	WRONG*)
		not_ok "$name: ssh $s, cnorch $c"
		sed 's/^/#   ssh: /' "$work/ssh.out"
		sed 's/^/#   cnorch: /' "$work/cnorch.out"
		;;
	*) ok "$name: ssh $s, cnorch $c" ;;
	esac
}

y=yes
row "[host]:port, right key" same box $y \
    "[127.0.0.1]:$P $KEY
"
row "[host]:port, wrong key" same box $y \
    "[127.0.0.1]:$P $WRONG
"
row "empty file" same box $y ""
row "[host]:port wrong + bare name right" same box $y \
    "127.0.0.1 $KEY
[127.0.0.1]:$P $WRONG
"
row "bare name right, no [host]:port (no fallback)" stricter box $y \
    "127.0.0.1 $KEY
"
if grep -q "does not fall back to the bare name" "$work/cnorch.out"; then
	ok "the stricter refusal says why (no bare-name fallback)"
else
	not_ok "the stricter refusal says why (no bare-name fallback)"
	sed 's/^/#   cnorch: /' "$work/cnorch.out"
fi
row "another port's entry only" same box $y \
    "[127.0.0.1]:1 $KEY
"
row "right key after a stale one" same box $y \
    "[127.0.0.1]:$P $WRONG
[127.0.0.1]:$P $KEY
"
printf '[127.0.0.1]:%s %s\n' "$P" "$KEY" >"$work/hashed"
ssh-keygen -q -H -f "$work/hashed" >/dev/null 2>&1
rm -f "$work/hashed.old"
row "hashed [host]:port, right key" same box $y "$(cat "$work/hashed")
"
printf '[127.0.0.1]:%s %s\n' "$P" "$WRONG" >"$work/hashedw"
ssh-keygen -q -H -f "$work/hashedw" >/dev/null 2>&1
row "hashed [host]:port, wrong key" same box $y "$(cat "$work/hashedw")
"
row "wildcard [127.0.0.*]:*" same box $y \
    "[127.0.0.*]:* $KEY
"
row "'?' pattern" same box $y \
    "[127.0.0.?]:$P $KEY
"
row "comma list" same box $y \
    "a.example,[127.0.0.1]:$P,b.example $KEY
"
row "negated: *,!name,![name]:port" same box $y \
    "*,!127.0.0.1,![127.0.0.1]:$P $KEY
"
row "negated other port: [h]:*,![h]:1" same box $y \
    "[127.0.0.1]:*,![127.0.0.1]:1 $KEY
"
row "negation hides the only wrong line" same box $y \
    "[127.0.0.1]:*,![127.0.0.1]:$P $WRONG
[127.0.0.1]:$P $KEY
"
row "@revoked key (also listed as known)" same box $y \
    "[127.0.0.1]:$P $KEY
@revoked * $KEY
"
if grep -q "is revoked" "$work/cnorch.out"; then
	ok "the @revoked refusal says revoked"
else
	not_ok "the @revoked refusal says revoked"
fi
row "@revoked another key" same box $y \
    "[127.0.0.1]:$P $KEY
@revoked * $WRONG
"
row "@cert-authority only" same box $y \
    "@cert-authority * $KEY
"
if grep -q "@cert-authority lines for this host are ignored" \
    "$work/cnorch.out"; then
	ok "the @cert-authority refusal has its one-line note"
else
	not_ok "the @cert-authority refusal has its one-line note"
fi
row "known key of another type (ecdsa)" same box $y \
    "[127.0.0.1]:$P $WRONG_ECDSA
"
row "both types known, ed25519 right" same box $y \
    "[127.0.0.1]:$P $WRONG_ECDSA
[127.0.0.1]:$P $KEY
"
row "HostKeyAlias, right key" same aliasbox $y \
    "myBox.alias $KEY
"
row "HostKeyAlias, [host]:port right only" same aliasbox $y \
    "[127.0.0.1]:$P $KEY
"
row "HostKeyAlias wrong, [host]:port right" same aliasbox $y \
    "mybox.alias $WRONG
[127.0.0.1]:$P $KEY
"
row "accept-new, empty file" same box accept-new ""
row "accept-new, wrong key known" same box accept-new \
    "[127.0.0.1]:$P $WRONG
"
row "accept-new, @revoked" same box accept-new \
    "@revoked * $KEY
"

# What cnorch records under accept-new, ssh must accept as it stands.
recorded() {	# recorded NAME FILE-CONTENT
	local f=$work/rec.$rows
	rows=$((rows + 1))
	printf '%s' "$2" >"$f"
	if [ "$(cnorch_decide box "$f" accept-new)" = connect ] &&
	    [ "$(ssh_decide box "$f" yes)" = connect ]; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/#   /' "$f"
	fi
}
recorded "accept-new line (plain) is accepted by ssh" ""
if grep -qxF "[127.0.0.1]:$P $KEY" "$work/rec.$((rows - 1))"; then
	ok "accept-new writes '[127.0.0.1]:$P ssh-ed25519 ...'"
else
	not_ok "accept-new writes '[127.0.0.1]:$P ssh-ed25519 ...'"
fi
recorded "accept-new line (hashed file) is accepted by ssh" \
    "$(cat "$work/hashedw" | sed 's/^|1|[^ ]*/|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA=/')
"
last=$work/rec.$((rows - 1))
if [ "$(wc -l <"$last")" -eq 2 ] && tail -n 1 "$last" | grep -q '^|1|' &&
    ! grep -q "127.0.0.1" "$last"; then
	ok "accept-new in a hashed file appends one hashed line"
else
	not_ok "accept-new in a hashed file appends one hashed line"
	sed 's/^/#   /' "$last"
fi

echo "# the table:"
sed 's/^/# /' "$work/table"
echo "$passed passed, $failed failed ($rows files)"
[ "$failed" -eq 0 ] && [ "$(wc -l <"$work/table")" -ge 8 ]
