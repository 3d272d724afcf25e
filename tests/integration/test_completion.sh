#!/usr/bin/env bash
# Shell completion and the man page, both made from the command
# descriptors: bash's `complete` offers every command, each command's
# options and, at a TARGET, the inventory's host and group names; zsh's
# script parses; the man page names every command.
#
# Env (set by meson test): CNORCH.
set -u
: "${CNORCH:?set CNORCH to the cnorch binary}"

passed=0 failed=0
check() {	# check NAME CONDITION...
	local name=$1; shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1))
	else echo "not ok - $name"; failed=$((failed + 1)); fi
}

# The command names, from `cnorch help` (one "   name  summary" a line).
mapfile -t names < <("$CNORCH" help | awk '{ print $1 }')
check "help lists the commands (${#names[@]})" test "${#names[@]}" -ge 10

script=$("$CNORCH" completion bash)
check "completion bash: exit 0" test -n "$script"
eval "$script"
check "completion bash: registered for cnorch" bash -c \
	"$(printf '%s\n' "$script"); complete -p cnorch | grep -q -- '-F _cnorch'"

# complete WORDS...: what bash offers for the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_cnorch
	printf '%s\n' "${COMPREPLY[@]}"
}
offered=$(complete_words cnorch "")
missing=
for n in "${names[@]}"; do
	grep -qx -- "$n" <<<"$offered" || missing="$missing $n"
done
check "completion bash: every command offered (missing:${missing:- none})" test -z "$missing"
check "completion bash: 'pr' offers provision only" \
	test "$(complete_words cnorch pr)" = provision
check "completion bash: after -i FILE, still commands" \
	grep -qx status <<<"$(complete_words cnorch -i inv.json st)"
check "completion bash: pull's options" \
	test "$(complete_words cnorch pull box org/m --no)" = --no-wait
missing=
for n in "${names[@]}"; do
	grep -qx -- --help <<<"$(complete_words cnorch "$n" --he)" ||
		missing="$missing $n"
done
check "completion bash: --help for every command (missing:${missing:- none})" test -z "$missing"

# TARGET words come from the inventory: `hosts --names` lists hosts,
# groups and all; completion passes a typed -i FILE through to it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp	# no ~/.ssh/config of the user's joins the names
inv=$tmp/inv.json
cat >"$inv" <<'JSON'
{
  "groups": { "g": ["a1", "a2"] },
  "hosts": {
    "a1": { "host": "127.0.0.1", "port": 2201 },
    "a2": { "host": "127.0.0.1", "port": 2202 },
    "b1": { "host": "127.0.0.1", "port": 2203 }
  }
}
JSON
check "hosts --names: hosts, groups and all, one a line" \
	test "$("$CNORCH" -i "$inv" hosts --names | tr '\n' ' ')" = "a1 a2 b1 g all "
out=$("$CNORCH" -i "$tmp/missing.json" hosts --names 2>&1)
check "hosts --names: unreadable inventory: silent, exit 0 (got $?)" \
	test $? = 0 -a -z "$out"
check "completion bash: status a offers a1, a2 (and all)" \
	test "$(complete_words "$CNORCH" -i "$inv" status a | sort | tr '\n' ' ')" = "a1 a2 all "
check "completion bash: pull's TARGET offers the group g" \
	grep -qx g <<<"$(complete_words "$CNORCH" -i "$inv" pull "")"
check "completion bash: --inventory=FILE passed through" \
	test "$(complete_words "$CNORCH" --inventory="$inv" logs b)" = b1
check "completion bash: after a comma, the next term" \
	test "$(complete_words "$CNORCH" -i "$inv" stop a1,b)" = a1,b1
check "completion bash: after the TARGET, no more hosts" \
	test -z "$(complete_words "$CNORCH" -i "$inv" pull g a)"
check "completion bash: an option value is not the TARGET" \
	test "$(complete_words "$CNORCH" -i "$inv" status --stall-after 60 b)" = b1
check "completion bash: options still complete at the TARGET" \
	test "$(complete_words "$CNORCH" -i "$inv" status --st)" = --stall-after
check "completion bash: no TARGET for add" \
	test -z "$(complete_words "$CNORCH" -i "$inv" add a)"

if command -v zsh >/dev/null; then
	"$CNORCH" completion zsh >"${TMPDIR:-/tmp}/cnorch-zsh.$$"
	check "completion zsh: parses" zsh -n "${TMPDIR:-/tmp}/cnorch-zsh.$$"
	rm -f "${TMPDIR:-/tmp}/cnorch-zsh.$$"
else
	check "completion zsh: names every command" bash -c \
		"out=\$('$CNORCH' completion zsh); for n in ${names[*]}; do grep -q \"'\$n:\" <<<\"\$out\" || exit 1; done"
fi
"$CNORCH" completion fish >/dev/null 2>&1
check "completion fish: usage error, exit 2 (got $?)" test $? = 2

man=$("$CNORCH" help --man)
check "man page: roff title" grep -q '^\.TH CNORCH 1' <<<"$man"
missing=
# roff spells a hyphen \- (box-scripts is .B box\-scripts).
man_plain=${man//\\-/-}
for n in "${names[@]}"; do
	grep -q "^\.B $n" <<<"$man_plain" || missing="$missing $n"
done
check "man page: every command (missing:${missing:- none})" test -z "$missing"

echo "1..$((passed + failed))"
[ "$failed" = 0 ]
