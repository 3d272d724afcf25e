#!/usr/bin/env bash
# payload/setup-china-mirrors.sh, run locally against a sandbox HOME and
# checked the way a user would see it: fresh shells (interactive, login-ish,
# and ssh-like non-interactive) must come up with the mirror environment.
# Run from anywhere: bash tests/integration/test_setup_script.sh
# shellcheck disable=SC2016  # single-quoted $VARs are literal shell text on purpose (fixtures, child shells)
set -u

src=${CNORCH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
script="$src/payload/setup-china-mirrors.sh"

pass=0 fail=0 skip=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; fail=$((fail + 1)); }
skipped() { echo "ok - $1 # SKIP $2"; skip=$((skip + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

HF=https://hf-mirror.com
PYPI=https://pypi.tuna.tsinghua.edu.cn/simple
CONDA=https://mirrors.tuna.tsinghua.edu.cn/anaconda
LINE='[ -f ~/.cnorch/env.sh ] && . ~/.cnorch/env.sh  # cnorch'

# new_box NAME: an empty sandbox HOME with Ubuntu's default .bashrc guard and
# .profile; prints its path.  Its data dir is $box/data.
new_box() {
	local box="$work/$1"
	mkdir -p "$box"
	cat > "$box/.bashrc" <<'EOF'
# ~/.bashrc: executed by bash(1) for non-login shells.

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
shopt -s histappend
alias ll='ls -alF'
EOF
	cat > "$box/.profile" <<'EOF'
# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi
EOF
	echo "$box"
}

# run BOX OUTFILE [VAR=VALUE...]: the script with only the given inputs (the
# caller's CNORCH_* and proxy variables do not leak in); stdout to OUTFILE;
# returns the script's exit code.
run() {
	local box=$1 out=$2; shift 2
	env -u CNORCH_HOME -u CNORCH_DATA_DIR -u CNORCH_HF_ENDPOINT \
		-u CNORCH_MODELSCOPE_ENDPOINT -u CNORCH_PYPI_MIRROR \
		-u CNORCH_CONDA_MIRROR -u CNORCH_PROXY -u CNORCH_PROXY_IN_SHELLS \
		HOME="$box" "$@" bash "$script" > "$out" 2> "$out.err"
}

# shell_env KIND BOX > file: the environment a fresh shell of that kind sees.
shell_env() {
	case $1 in
	interactive) env -i HOME="$2" TERM=dumb bash -ic 'env' 2>/dev/null < /dev/null ;;
	profile) env -i HOME="$2" bash -c '. ~/.profile; env' 2>/dev/null ;;
	login) env -i HOME="$2" bash -lc 'env' 2>/dev/null ;;
	ssh) env -i HOME="$2" SSH_CLIENT='127.0.0.1 40000 22' bash -c 'env' 2>/dev/null < /dev/null ;;
	esac
}

# has_var FILE NAME VALUE: FILE (env output) has NAME=VALUE exactly.
has_var() { grep -qxF -- "$2=$3" "$1"; }
lacks_var() { ! grep -q "^$2=" "$1"; }
var_of() { sed -n "s/^$2=//p" "$1" | head -n 1; }
summary_is() { grep -qxF -- "summary $2" "$1"; }
only_ok_lines() { ! grep -qv -e '^ok ' -e '^summary ' "$1"; }

# ------------------------------------------------------------- shellcheck
if command -v shellcheck > /dev/null; then
	check "shellcheck passes on the setup script" shellcheck "$script"
else
	skipped "shellcheck passes on the setup script" "shellcheck not installed"
fi

# -------------------------------------------------- missing CNORCH_DATA_DIR
box=$(mkdir -p "$work/nodata" && echo "$work/nodata")
run "$box" "$work/nodata.out"
rc=$?
check "missing CNORCH_DATA_DIR exits non-zero" test "$rc" -ne 0
check "missing CNORCH_DATA_DIR prints an error data_dir line naming it" \
	grep -q '^error data_dir CNORCH_DATA_DIR' "$work/nodata.out"
check "missing CNORCH_DATA_DIR writes no files" \
	test -z "$(find "$box" -mindepth 1 -print -quit)"
check "missing CNORCH_DATA_DIR ends with a summary counting the failure" \
	summary_is "$work/nodata.out" "ok=0 changed=0 failed=1"

box=$(mkdir -p "$work/baddata" && echo "$work/baddata")
run "$box" "$work/baddata.out" CNORCH_DATA_DIR=/proc/cnorch-cannot-create
rc=$?
check "an uncreatable data dir exits non-zero with error data_dir" \
	bash -c "[ $rc -ne 0 ] && grep -q '^error data_dir ' '$work/baddata.out'"
check "an uncreatable data dir writes no dotfiles" \
	test -z "$(find "$box" -mindepth 1 -print -quit)"

run "$box" "$work/badurl.out" CNORCH_DATA_DIR="$box/data" CNORCH_PYPI_MIRROR='pypi.example.cn simple'
rc=$?
check "a malformed mirror URL is refused before anything is written" \
	bash -c "[ $rc -ne 0 ] && grep -q '^error input CNORCH_PYPI_MIRROR' '$work/badurl.out' && [ ! -e '$box/.bashrc' ]"

# ---------------------------------------------------------------- first run
box=$(new_box main)
data="$box/data"
run "$box" "$work/run1.out" CNORCH_DATA_DIR="$data"
rc=$?
check "first run exits 0" test "$rc" -eq 0
check "first run reports changes and no failure" \
	grep -qE '^summary ok=[0-9]+ changed=[1-9][0-9]* failed=0$' "$work/run1.out"
check "every stdout line is ok/changed/warn/error/summary" \
	bash -c "! grep -vE '^(ok|changed|warn|error) [a-z_]+|^summary ' '$work/run1.out'"
check "stderr is empty" test ! -s "$work/run1.out.err"
check "data dirs hf/hub and modelscope are created" \
	test -d "$data/hf/hub" -a -d "$data/modelscope"

check ".bashrc starts with the cnorch line" \
	test "$(head -n 1 "$box/.bashrc")" = "$LINE"
check ".bashrc keeps the Ubuntu non-interactive guard below it" \
	grep -qF '*) return;;' "$box/.bashrc"
check ".bashrc has exactly one cnorch line" \
	test "$(grep -cF '.cnorch/env.sh' "$box/.bashrc")" -eq 1
check ".profile starts with the cnorch line" \
	test "$(head -n 1 "$box/.profile")" = "$LINE"
check ".profile keeps its original content" \
	grep -qF 'PATH="$HOME/bin:$PATH"' "$box/.profile"

for kind in interactive profile login; do
	shell_env "$kind" "$box" > "$work/env.$kind"
	check "$kind shell: HF_ENDPOINT is the mirror" has_var "$work/env.$kind" HF_ENDPOINT "$HF"
	check "$kind shell: HF_HOME on the data disk" has_var "$work/env.$kind" HF_HOME "$data/hf"
	check "$kind shell: HF_HUB_CACHE on the data disk" has_var "$work/env.$kind" HF_HUB_CACHE "$data/hf/hub"
	check "$kind shell: MODELSCOPE_CACHE on the data disk" has_var "$work/env.$kind" MODELSCOPE_CACHE "$data/modelscope"
	check "$kind shell: HF_HUB_ENABLE_HF_TRANSFER=0" has_var "$work/env.$kind" HF_HUB_ENABLE_HF_TRANSFER 0
	check "$kind shell: MODELSCOPE_DOMAIN and PIP_INDEX_URL set" \
		bash -c "grep -qxF 'MODELSCOPE_DOMAIN=www.modelscope.cn' '$work/env.$kind' && grep -qxF 'PIP_INDEX_URL=$PYPI' '$work/env.$kind'"
	check "$kind shell: no proxy variables without CNORCH_PROXY" \
		bash -c "! grep -qiE '^(no|http|https)_proxy=' '$work/env.$kind'"
done

# sshd's bash reads ~/.bashrc for "ssh host cmd" (Debian/Ubuntu build it with
# SSH_SOURCE_BASHRC, keyed on SSH_CLIENT).  Emulate that when this bash does.
probe="$work/probe"
mkdir -p "$probe" && echo 'export CNORCH_PROBE=1' > "$probe/.bashrc"
if env -i HOME="$probe" SSH_CLIENT='127.0.0.1 40000 22' bash -c 'env' < /dev/null | grep -qx 'CNORCH_PROBE=1'; then
	shell_env ssh "$box" > "$work/env.ssh"
	check "ssh-like non-interactive shell gets HF_ENDPOINT despite the guard" \
		has_var "$work/env.ssh" HF_ENDPOINT "$HF"
	check "ssh-like non-interactive shell gets HF_HUB_CACHE" \
		has_var "$work/env.ssh" HF_HUB_CACHE "$data/hf/hub"
else
	skipped "ssh-like non-interactive shell gets HF_ENDPOINT despite the guard" \
		"this bash does not read .bashrc for SSH_CLIENT"
fi

pip_conf="$box/.config/pip/pip.conf"
check "pip.conf has [global] index-url = mirror" \
	bash -c "grep -qxF '[global]' '$pip_conf' && grep -qxF 'index-url = $PYPI' '$pip_conf'"
check "pip.conf has no trusted-host for an https mirror" \
	bash -c "! grep -q trusted-host '$pip_conf'"
py=$(python3 -c 'import sys; print(sys.executable)' 2> /dev/null)
if [ -n "$py" ] && "$py" -m pip --version > /dev/null 2>&1; then
	env -u XDG_CONFIG_HOME -u PIP_CONFIG_FILE -u PIP_INDEX_URL HOME="$box" \
		"$py" -m pip config list > "$work/pipconfig" 2>&1
	check "pip config list shows global.index-url from our pip.conf" \
		grep -qxF "global.index-url='$PYPI'" "$work/pipconfig"
else
	skipped "pip config list shows global.index-url from our pip.conf" "pip not available"
fi

condarc="$box/.condarc"
check ".condarc has no pytorch-nightly" bash -c "! grep -q pytorch-nightly '$condarc'"
check ".condarc has the mirror's main and free default channels" \
	bash -c "grep -qF -- '- $CONDA/pkgs/main' '$condarc' && grep -qF -- '- $CONDA/pkgs/free' '$condarc'"
check ".condarc maps pytorch and conda-forge to the mirror's cloud" \
	bash -c "grep -qxF '  pytorch: $CONDA/cloud' '$condarc' && grep -qxF '  conda-forge: $CONDA/cloud' '$condarc'"
check ".condarc shows channel urls" grep -qxF 'show_channel_urls: true' "$condarc"
check "env.sh is mode 644 without a proxy" test "$(stat -c %a "$box/.cnorch/env.sh")" = 644
check "no temp files are left behind" \
	test -z "$(find "$box" -name '.cnorch-tmp.*' -print -quit)"

# --------------------------------------------------------------- second run
run "$box" "$work/run2.out" CNORCH_DATA_DIR="$data"
rc=$?
check "second run exits 0" test "$rc" -eq 0
check "second run changes nothing (changed=0 failed=0)" \
	grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' "$work/run2.out"
check "second run prints only ok lines" only_ok_lines "$work/run2.out"

# --------------------------------------- proxy given, not for every shell
# An inventory proxy is for the pulls that need it: without the opt-in
# (proxy_in_shells) no shell on the box gets it.
secret='s3cr3t-pw'
proxy="http://alice:$secret@127.0.0.1:7890"
run "$box" "$work/proxy0.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy"
rc=$?
check "proxy without the opt-in: exit 0, nothing changed" \
	bash -c "[ $rc -eq 0 ] && grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' '$work/proxy0.out'"
check "proxy without the opt-in: env.sh has no proxy and no no_proxy" \
	bash -c "! grep -qi proxy '$box/.cnorch/env.sh'"
shell_env login "$box" > "$work/env.proxy0"
check "proxy without the opt-in: a login bash has no proxy variables" \
	bash -c "! grep -qiE '^(no|http|https|all)_proxy=' '$work/env.proxy0'"
check "proxy credentials never appear on stdout or stderr (no opt-in)" \
	bash -c "! grep -qF '$secret' '$work/proxy0.out' '$work/proxy0.out.err'"
run "$box" "$work/proxybad.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy" CNORCH_PROXY_IN_SHELLS=yes
rc=$?
check "CNORCH_PROXY_IN_SHELLS=yes is refused as input before anything is written" \
	bash -c "[ $rc -ne 0 ] && grep -q '^error input CNORCH_PROXY_IN_SHELLS' '$work/proxybad.out' && ! grep -qi proxy '$box/.cnorch/env.sh'"

# --------------------------------------------------------------- proxy on
env_ino=$(stat -c %i "$box/.cnorch/env.sh")
run "$box" "$work/proxy1.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy" CNORCH_PROXY_IN_SHELLS=1
rc=$?
check "proxy run exits 0 and reports changed env" \
	bash -c "[ $rc -eq 0 ] && grep -qx 'changed env' '$work/proxy1.out'"
check "proxy credentials never appear on stdout or stderr" \
	bash -c "! grep -qF '$secret' '$work/proxy1.out' '$work/proxy1.out.err'"
check "env.sh is mode 600 when the proxy carries credentials" \
	test "$(stat -c %a "$box/.cnorch/env.sh")" = 600
check "env.sh is rewritten in place (same inode)" \
	test "$(stat -c %i "$box/.cnorch/env.sh")" = "$env_ino"
shell_env interactive "$box" > "$work/env.proxy"
np=$(var_of "$work/env.proxy" no_proxy)
NP=$(var_of "$work/env.proxy" NO_PROXY)
check "proxy: http_proxy and https_proxy (both cases) are set" \
	bash -c "for v in http_proxy https_proxy HTTP_PROXY HTTPS_PROXY; do grep -qxF \"\$v=$proxy\" '$work/env.proxy' || exit 1; done"
check "proxy: no_proxy and NO_PROXY are both present" test -n "$np" -a -n "$NP"
check "proxy: no_proxy and NO_PROXY are identical" test "$np" = "$NP"
check "proxy: no_proxy has no * wildcard" bash -c "[[ '$np' != *'*'* ]]"
for entry in 127.0.0.1 localhost .modelscope.cn .tuna.tsinghua.edu.cn .hf-mirror.com; do
	check "proxy: no_proxy contains $entry" bash -c "[[ ,'$np', == *,'$entry',* ]]"
done
run "$box" "$work/proxy2.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy" CNORCH_PROXY_IN_SHELLS=1
check "proxy: a second run changes nothing" \
	grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' "$work/proxy2.out"

# A mirror outside the built-in allowlist gets its own no_proxy entry.
run "$box" "$work/proxy3.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY=http://127.0.0.1:7890 \
	CNORCH_PROXY_IN_SHELLS=1 CNORCH_PYPI_MIRROR=https://pypi.example-cn.org/simple
np3=$(env -i HOME="$box" bash -c '. ~/.cnorch/env.sh; echo "$no_proxy"')
check "proxy: a custom PyPI mirror's host is added to no_proxy" \
	bash -c "[[ ,'$np3', == *,pypi.example-cn.org,* ]]"
check "proxy without credentials: env.sh back to mode 644" \
	test "$(stat -c %a "$box/.cnorch/env.sh")" = 644

# -------------------------------------------------------------- proxy off
run "$box" "$work/proxy4.out" CNORCH_DATA_DIR="$data"
check "proxy removed: run reports changed env" grep -qx 'changed env' "$work/proxy4.out"
shell_env interactive "$box" > "$work/env.noproxy"
check "proxy removed: the proxy block is gone from env.sh" \
	bash -c "! grep -qi proxy '$box/.cnorch/env.sh'"
check "proxy removed: a fresh shell has no proxy or no_proxy" \
	bash -c "! grep -qiE '^(no|http|https)_proxy=' '$work/env.noproxy'"
check "proxy removed: pip.conf is back to the default mirror" \
	grep -qxF "index-url = $PYPI" "$pip_conf"
run "$box" "$work/proxy5.out" CNORCH_DATA_DIR="$data"
check "proxy removed: a second run changes nothing" \
	grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' "$work/proxy5.out"

# The opt-in switched off while the inventory still has a proxy: the block
# written earlier goes too.
run "$box" "$work/proxy6.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy" CNORCH_PROXY_IN_SHELLS=1
check "opt-in again: the block is back" grep -q '^export https_proxy=' "$box/.cnorch/env.sh"
run "$box" "$work/proxy7.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy" CNORCH_PROXY_IN_SHELLS=0
rc=$?
check "opt-in off, proxy still given: exit 0 and changed env" \
	bash -c "[ $rc -eq 0 ] && grep -qx 'changed env' '$work/proxy7.out'"
check "opt-in off: the proxy block and its no_proxy are gone from env.sh" \
	bash -c "! grep -qi proxy '$box/.cnorch/env.sh'"
check "opt-in off: env.sh is no longer 600 (no secret in it)" \
	test "$(stat -c %a "$box/.cnorch/env.sh")" = 644
for sh in sh bash; do
	if command -v "$sh" > /dev/null; then
		env -i HOME="$box" "$sh" -lc env > "$work/env.$sh-lc" 2>/dev/null < /dev/null
		check "opt-in off: a real '$sh -lc' shell has no https_proxy and no no_proxy" \
			bash -c "grep -qxF 'HF_ENDPOINT=$HF' '$work/env.$sh-lc' && ! grep -qiE '^(https?|no)_proxy=' '$work/env.$sh-lc'"
	fi
done
run "$box" "$work/proxy8.out" CNORCH_DATA_DIR="$data" CNORCH_PROXY="$proxy"
check "opt-in off: a second run changes nothing" \
	grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' "$work/proxy8.out"

# ------------------------------------------------ files edited in place
# Hard links, modes, owners and inodes of the user's files survive: the
# new content goes into the same inode, never a mv over the file.
box=$(new_box inplace)
ln "$box/.bashrc" "$box/bashrc-twin"
chmod 640 "$box/.bashrc"
chmod 604 "$box/.profile"
bashrc_ino=$(stat -c %i "$box/.bashrc")
profile_ino=$(stat -c %i "$box/.profile")
if [ "$(id -u)" = 0 ]; then
	chown nobody "$box/.profile"
fi
run "$box" "$work/inplace.out" CNORCH_DATA_DIR="$box/data"
rc=$?
check "in place: exit 0" test "$rc" -eq 0
check "in place: .bashrc keeps its inode" test "$(stat -c %i "$box/.bashrc")" = "$bashrc_ino"
check "in place: a hard link to .bashrc still shares it and shows the line" \
	bash -c "[ \$(stat -c %h '$box/.bashrc') -eq 2 ] && [ \"\$(head -n 1 '$box/bashrc-twin')\" = '$LINE' ]"
check "in place: .bashrc keeps mode 640" test "$(stat -c %a "$box/.bashrc")" = 640
check "in place: .profile keeps its inode and mode 604" \
	bash -c "[ \$(stat -c %i '$box/.profile') = '$profile_ino' ] && [ \$(stat -c %a '$box/.profile') = 604 ]"
if [ "$(id -u)" = 0 ]; then
	check "in place: .profile keeps its owner" test "$(stat -c %U "$box/.profile")" = nobody
else
	skipped "in place: .profile keeps its owner" "needs root to chown"
fi
pip_ino=$(stat -c %i "$box/.config/pip/pip.conf")
conda_ino=$(stat -c %i "$box/.condarc")
ln "$box/.condarc" "$box/condarc-twin"
run "$box" "$work/inplace2.out" CNORCH_DATA_DIR="$box/data" \
	CNORCH_PYPI_MIRROR=https://mirrors.aliyun.com/pypi/simple CNORCH_CONDA_MIRROR=https://mirrors.ustc.edu.cn/anaconda
check "in place: a new mirror rewrites pip.conf and .condarc in their inodes" \
	bash -c "grep -qx 'changed pip' '$work/inplace2.out' && grep -qx 'changed conda' '$work/inplace2.out' && [ \$(stat -c %i '$box/.config/pip/pip.conf') = '$pip_ino' ] && [ \$(stat -c %i '$box/.condarc') = '$conda_ino' ]"
check "in place: the hard link to .condarc sees the new mirror" \
	grep -qF 'mirrors.ustc.edu.cn' "$box/condarc-twin"
check "in place: no temp files are left behind" \
	test -z "$(find "$box" -name '.cnorch-tmp.*' -print -quit)"

# ------------------------------------------------ read-only files
# A read-only ~/.profile (no write bit, even for root) is not overridden:
# a warn with the exact line to add, and the setup still succeeds.
box=$(new_box readonly)
chmod 444 "$box/.profile"
cp "$box/.profile" "$work/profile.orig"
run "$box" "$work/ro.out" CNORCH_DATA_DIR="$box/data"
rc=$?
check "read-only .profile: exit 0" test "$rc" -eq 0
check "read-only .profile: a warn profile line with the line to add" \
	grep -qxF "warn profile ~/.profile is read-only, left as is; add this line at its top: $LINE" "$work/ro.out"
check "read-only .profile: no ok/changed/error line for it, failed=0" \
	bash -c "! grep -qE '^(ok|changed|error) profile' '$work/ro.out' && grep -qE '^summary ok=[0-9]+ changed=[1-9][0-9]* failed=0$' '$work/ro.out'"
check "read-only .profile: left byte for byte and still mode 444" \
	bash -c "cmp -s '$work/profile.orig' '$box/.profile' && [ \$(stat -c %a '$box/.profile') = 444 ]"
check "read-only .profile: the rest is set up (.bashrc line, env.sh)" \
	bash -c "[ \"\$(head -n 1 '$box/.bashrc')\" = '$LINE' ] && [ -s '$box/.cnorch/env.sh' ]"
run "$box" "$work/ro2.out" CNORCH_DATA_DIR="$box/data"
rc=$?
check "read-only .profile: a second run changes nothing and warns again" \
	bash -c "[ $rc -eq 0 ] && grep -qE '^summary ok=[0-9]+ changed=0 failed=0$' '$work/ro2.out' && grep -q '^warn profile ' '$work/ro2.out'"

# A read-only foreign .condarc: not replaced, not backed up, a warn with
# the fix; a read-only env.sh that needs a change: a warn, exit 0.
box=$(new_box rocondarc)
printf 'channels:\n  - defaults\n' > "$box/.condarc"
chmod 444 "$box/.condarc"
run "$box" "$work/rocondarc.out" CNORCH_DATA_DIR="$box/data"
rc=$?
check "read-only .condarc: exit 0, warn conda with the channels to set, no backup" \
	bash -c "[ $rc -eq 0 ] && grep -q '^warn conda ~/.condarc is read-only, left as is; .*default_channels: \[$CONDA/pkgs/main' '$work/rocondarc.out' && [ ! -e '$box/.condarc.cnorch-bak' ] && grep -qxF 'channels:' '$box/.condarc'"
chmod 444 "$box/.cnorch/env.sh"
run "$box" "$work/roenv.out" CNORCH_DATA_DIR="$box/data" CNORCH_HF_ENDPOINT=http://127.0.0.1:9
rc=$?
check "read-only env.sh needing a change: exit 0 and warn env naming chmod" \
	bash -c "[ $rc -eq 0 ] && grep -q '^warn env ~/.cnorch/env.sh is read-only, left as is; .*chmod u+w' '$work/roenv.out' && grep -qF hf-mirror.com '$box/.cnorch/env.sh'"

# A ~/.profile the user cannot write (owned by root, the user is not), as
# on boxes where the image pins it: warn, exit 0, pulls can still start.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 711 "$work"
	box=$(new_box rootowned)
	chown -R nobody "$box"
	chown root "$box/.profile"
	chmod 644 "$box/.profile"
	cp "$box/.profile" "$work/rootowned.orig"
	env -u CNORCH_HOME -u CNORCH_PROXY -u CNORCH_PROXY_IN_SHELLS HOME="$box" CNORCH_DATA_DIR="$box/data" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups bash "$script" > "$work/rootowned.out" 2>&1
	rc=$?
	check "a .profile the user cannot write: exit 0 with warn profile and the line to add" \
		bash -c "[ $rc -eq 0 ] && grep -qxF \"warn profile ~/.profile is read-only, left as is; add this line at its top: $LINE\" '$work/rootowned.out'"
	check "a .profile the user cannot write: untouched, and .bashrc still set up" \
		bash -c "cmp -s '$work/rootowned.orig' '$box/.profile' && [ \"\$(head -n 1 '$box/.bashrc')\" = '$LINE' ] && grep -qx 'changed env' '$work/rootowned.out'"
else
	skipped "a .profile the user cannot write: exit 0 with warn profile" "needs root and setpriv"
fi

# A full disk while rewriting ~/.bashrc in place: the old content is put
# back (never left truncated), and the run says which line to add.
if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null; then
	box="$work/fulldisk"
	mkdir -p "$box"
	# A private mount namespace: the small tmpfs is gone when it exits.
	# shellcheck disable=SC2034  # variables are for the inner script
	unshare -m bash -c '
		box=$1 script=$2 out=$3
		mount -t tmpfs -o size=64k tmpfs "$box" || exit 90
		head -c 4000 /dev/zero | tr "\0" x | fold -w 79 > "$box/.bashrc"
		cp "$box/.bashrc" "$box/.bashrc.orig"
		dd if=/dev/zero of="$box/filler" bs=4096 2> /dev/null
		env -u CNORCH_HOME -u CNORCH_PROXY -u CNORCH_PROXY_IN_SHELLS HOME="$box" \
			CNORCH_DATA_DIR="$(dirname "$out")/fulldisk-data" bash "$script" > "$out" 2> "$out.err"
		echo "rc=$?" >> "$out"
		cmp -s "$box/.bashrc" "$box/.bashrc.orig" && echo "bashrc=same" >> "$out"
	' _ "$box" "$script" "$work/fulldisk.out"
	if grep -q '^rc=' "$work/fulldisk.out" 2> /dev/null; then
		check "full disk: .bashrc keeps its old content byte for byte" \
			grep -qx 'bashrc=same' "$work/fulldisk.out"
		check "full disk: warn bashrc with the line to add, stderr quiet" \
			bash -c "grep -qxF \"warn bashrc cannot write ~/.bashrc, left as is; add this line at its top: $LINE\" '$work/fulldisk.out' && [ ! -s '$work/fulldisk.out.err' ]"
	else
		skipped "full disk: .bashrc keeps its old content" "cannot mount a tmpfs here"
	fi
else
	skipped "full disk: .bashrc keeps its old content" "needs root and unshare"
fi

# ------------------------------------------------ fixing what it finds
# A foreign .condarc that mirrors pytorch-nightly.
box=$(new_box condarc)
cat > "$box/.condarc" <<'EOF'
channels:
  - defaults
custom_channels:
  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud
  pytorch-nightly: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud
EOF
run "$box" "$work/condarc.out" CNORCH_DATA_DIR="$box/data"
check "mirrored pytorch-nightly: a warn conda pytorch-nightly line" \
	grep -q '^warn conda pytorch-nightly ' "$work/condarc.out"
check "mirrored pytorch-nightly: removed from .condarc" \
	bash -c "! grep -q pytorch-nightly '$box/.condarc'"
check "foreign .condarc: backed up once to .condarc.cnorch-bak with a warn" \
	bash -c "grep -q pytorch-nightly '$box/.condarc.cnorch-bak' && grep -q '^warn conda .*cnorch-bak' '$work/condarc.out'"
run "$box" "$work/condarc2.out" CNORCH_DATA_DIR="$box/data"
check "foreign .condarc: the next run is all ok and makes no second backup" \
	bash -c "grep -qx 'ok conda' '$work/condarc2.out' && [ ! -e '$box/.condarc.cnorch-bak.2' ]"

# A foreign pip.conf and a legacy ~/.pip/pip.conf; an http mirror.
box=$(new_box pip)
mkdir -p "$box/.config/pip" "$box/.pip"
printf '[global]\nindex-url = https://pypi.org/simple\ntimeout = 60\n' > "$box/.config/pip/pip.conf"
printf '[global]\nindex-url = https://mirrors.aliyun.com/pypi/simple\n' > "$box/.pip/pip.conf"
run "$box" "$work/pip.out" CNORCH_DATA_DIR="$box/data" CNORCH_PYPI_MIRROR=http://mirrors.example.cn/pypi/simple
check "foreign pip.conf: backed up to pip.conf.cnorch-bak with a warn" \
	bash -c "grep -qF 'timeout = 60' '$box/.config/pip/pip.conf.cnorch-bak' && grep -q '^warn pip .*cnorch-bak' '$work/pip.out'"
check "legacy ~/.pip/pip.conf with index-url: a warn pip line" \
	grep -q '^warn pip .*\.pip/pip\.conf' "$work/pip.out"
check "http mirror: pip.conf gets trusted-host for its host" \
	bash -c "grep -qxF 'index-url = http://mirrors.example.cn/pypi/simple' '$box/.config/pip/pip.conf' && grep -qxF 'trusted-host = mirrors.example.cn' '$box/.config/pip/pip.conf'"

# A later HF_ENDPOINT / hf_transfer in .bashrc, and a cnorch line not on top.
box=$(new_box trap)
{
	echo 'export PATH=$PATH:/opt/bin'
	echo "$LINE"
	echo 'export HF_ENDPOINT=https://huggingface.co'
	echo 'export HF_HUB_ENABLE_HF_TRANSFER=1'
	echo 'export HF_ENDPOINT=https://hf-mirror.com   # same as ours: fine'
} >> "$box/.bashrc"
run "$box" "$work/trap.out" CNORCH_DATA_DIR="$box/data"
hf_line=$(grep -nxF 'export HF_ENDPOINT=https://huggingface.co' "$box/.bashrc" | cut -d: -f1)
check "a cnorch line lower in .bashrc is moved to line 1, once" \
	bash -c "[ \"\$(head -n 1 '$box/.bashrc')\" = '$LINE' ] && [ \$(grep -cF .cnorch/env.sh '$box/.bashrc') -eq 1 ]"
check "a later HF_ENDPOINT in .bashrc: warn hf_endpoint with file:line and value" \
	grep -qxF "warn hf_endpoint ~/.bashrc:$hf_line sets HF_ENDPOINT=https://huggingface.co after cnorch's env.sh; remove it" "$work/trap.out"
check "HF_HUB_ENABLE_HF_TRANSFER=1 in .bashrc: a warn hf_endpoint line" \
	grep -q '^warn hf_endpoint ~/.bashrc:[0-9]* sets HF_HUB_ENABLE_HF_TRANSFER=1' "$work/trap.out"
check "a later HF_ENDPOINT equal to ours is not reported" \
	test "$(grep -c '^warn hf_endpoint .*HF_ENDPOINT=' "$work/trap.out")" -eq 1
check "warnings alone do not fail the run" \
	grep -qE '^summary ok=[0-9]+ changed=[0-9]+ failed=0$' "$work/trap.out"

# A symlinked .bashrc (dotfile managers) stays a symlink.
box=$(new_box link)
mv "$box/.bashrc" "$box/dotfiles-bashrc"
ln -s dotfiles-bashrc "$box/.bashrc"
run "$box" "$work/link.out" CNORCH_DATA_DIR="$box/data"
check "a symlinked .bashrc stays a symlink and its target gets the line" \
	bash -c "[ -L '$box/.bashrc' ] && [ \"\$(head -n 1 '$box/dotfiles-bashrc')\" = '$LINE' ]"

# CNORCH_HOME puts the files there instead of $HOME.
box=$(mkdir -p "$work/home-a" "$work/home-b" && echo "$work/home-b")
run "$work/home-a" "$work/chome.out" CNORCH_DATA_DIR="$box/data" CNORCH_HOME="$box"
check "CNORCH_HOME overrides HOME for where files go" \
	bash -c "[ -f '$box/.cnorch/env.sh' ] && [ -f '$box/.bashrc' ] && [ -z \"\$(ls -A '$work/home-a')\" ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
