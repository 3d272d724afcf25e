#!/usr/bin/env bash
# Shell completion and the man page, both made from the command
# descriptors: bash's `complete` offers every command and each command's
# options; zsh's script parses; the man page names every command.
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
