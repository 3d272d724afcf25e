#!/usr/bin/env bash
# setup-china-mirrors.sh: point pip, conda and the Hugging Face / ModelScope
# clients at domestic mirrors, move the model caches onto the data disk, and
# (only when a proxy is given) add the proxy with its no_proxy allowlist.
#
# Inputs come only from the environment (never argv: values may hold proxy
# credentials and argv shows in ps):
#   CNORCH_DATA_DIR             required, absolute, e.g. /root/autodl-tmp
#   CNORCH_HF_ENDPOINT          default https://hf-mirror.com
#   CNORCH_MODELSCOPE_ENDPOINT  default https://www.modelscope.cn
#   CNORCH_PYPI_MIRROR          default https://pypi.tuna.tsinghua.edu.cn/simple
#   CNORCH_CONDA_MIRROR         default https://mirrors.tuna.tsinghua.edu.cn/anaconda
#   CNORCH_PROXY                optional; empty or unset means no proxy
#   CNORCH_PROXY_IN_SHELLS      1: also export CNORCH_PROXY (with the no_proxy
#                               allowlist) to every shell through env.sh (the
#                               inventory's "proxy_in_shells": true).  Anything
#                               else (default): env.sh exports no proxy at all,
#                               and a proxy block an earlier run wrote is
#                               removed -- a proxy is for the pulls that need
#                               it, not a reflex of every shell.
#   CNORCH_HOME                 optional; where the dotfiles go (default $HOME)
#
# Output: one line per item on stdout, machine-readable:
#   ok <item> | changed <item> | warn <item> <message> | error <item> <message>
# then "summary ok=N changed=N failed=N" (warn lines are not summed there;
# the laptop counts them).  Items, in order: data_dir, pip, conda, env,
# bashrc, profile, hf_endpoint (plus "home"/"input" for bad inputs, which
# stop the run before anything is written).  Each item gets one
# ok/changed/error line, except an item whose file needs a change but is
# read-only (no write permission): that file is left alone and the item's
# line is a warn naming the file and the manual fix.  Other warn lines are
# extra findings naming their item.  ~/.bashrc and ~/.profile never fail
# the run (a line there is a convenience for the user's shells; pulls get
# their settings directly), so they end in warn, never error.  The
# hf_endpoint check prints either "ok hf_endpoint" or its warn lines.  Exit
# 0 when nothing failed (warnings included), else 1.  Idempotent: a second
# run with the same inputs prints only ok lines (and the same warnings).
#
# Existing files are edited in place: the new content is written into the
# same inode, so mode, owner, hard links and symlinks are kept; a new file
# appears complete (temp file + rename in its directory).
#
# Needs only bash 4.4+, coreutils, grep, sed and awk.
set -u

n_ok=0 n_changed=0 n_failed=0
tmpfiles=()
# Content is staged in a private directory (0700) rather than next to the
# target: a user's file may be writable in a directory that is not.
stage=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/cnorch-setup.XXXXXX" 2>/dev/null) || stage=""
# shellcheck disable=SC2317  # reached only through the EXIT trap
cleanup() {
	local f
	for f in "${tmpfiles[@]+"${tmpfiles[@]}"}"; do
		rm -f -- "$f"
	done
	[ -z "$stage" ] || rm -rf -- "$stage"
}
trap cleanup EXIT

say_ok() { echo "ok $1"; n_ok=$((n_ok + 1)); }
say_changed() { echo "changed $1"; n_changed=$((n_changed + 1)); }
say_warn() { echo "warn $1 $2"; }
say_error() { echo "error $1 $2"; n_failed=$((n_failed + 1)); }
finish() {
	echo "summary ok=$n_ok changed=$n_changed failed=$n_failed"
	if [ "$n_failed" -eq 0 ]; then exit 0; fi
	exit 1
}

MARKER="# managed by cnorch"
SOURCE_LINE='[ -f ~/.cnorch/env.sh ] && . ~/.cnorch/env.sh  # cnorch'
# Domestic hosts exempted from a proxy (reference §4), leading-dot form.
DOMESTIC=".tuna.tsinghua.edu.cn,.aliyun.com,.aliyuncs.com,.ustc.edu.cn,.modelscope.cn,.tencentyun.com,.hf-mirror.com"

# ---------------------------------------------------------------- helpers

# url_authority URL -> "[user[:pass]@]host[:port]"
url_authority() {
	local a=${1#*://}
	printf '%s\n' "${a%%/*}"
}

# url_hostport URL -> "host[:port]" (credentials dropped)
url_hostport() {
	local a
	a=$(url_authority "$1")
	printf '%s\n' "${a##*@}"
}

# url_host URL -> lower-case host, no port, no brackets
url_host() {
	local hp
	hp=$(url_hostport "$1")
	case $hp in
	\[*\]*) hp=${hp#[}; hp=${hp%%]*} ;;
	*:*) hp=${hp%:*} ;;
	esac
	printf '%s\n' "${hp,,}"
}

# valid_url URL: a scheme, "://", a non-empty host and nothing that would
# break a config file (whitespace, quotes, control characters).
valid_url() {
	local url=$1 scheme_re='^[A-Za-z][A-Za-z0-9+.-]*://[^/[:space:]]'
	[[ $url =~ $scheme_re ]] || return 1
	[[ $url == *[[:space:][:cntrl:]\"\'\\]* ]] && return 1
	[ -n "$(url_host "$url")" ]
}

# shell_quote STRING -> STRING single-quoted for sh
shell_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'\n" "$s"
}

# file_mode PATH -> octal mode, e.g. 644
file_mode() { stat -c %a -- "$1" 2>/dev/null; }

# resolve PATH: write through a symlinked dotfile instead of replacing it.
resolve() {
	if [ -L "$1" ]; then
		readlink -f -- "$1"
	else
		printf '%s\n' "$1"
	fi
}

# read_only PATH: an existing file the user does not let us write.  Root
# passes access(2) for any mode, so a file with no write bit at all counts
# as read-only too: the user made it so on purpose.
read_only() {
	local m
	[ -w "$1" ] || return 0
	m=$(file_mode "$1") || return 1
	[ $((8#$m & 8#222)) -eq 0 ]
}

# put_file PATH MODE < content   (feed it with < <(...), not a pipe, so it
# runs in this shell and its temp files are known to the EXIT trap)
# Give PATH the content on stdin and MODE.  An existing PATH is rewritten
# in place (same inode: owner, hard links and symlinks kept; never a mv
# over it).  Returns 0 when PATH already had both (nothing written), 10
# when it wrote, 20 when it needs a change but is read-only (left alone),
# 1 on failure.
put_file() {
	local path dir mode=$2 tmp new cur
	path=$(resolve "$1")
	dir=$(dirname -- "$path")
	if [ -z "$stage" ]; then
		cat > /dev/null
		return 1
	fi
	tmp=$(mktemp "$stage/new.XXXXXX" 2>/dev/null) || return 1
	if ! cat > "$tmp"; then
		rm -f -- "$tmp"
		return 1
	fi
	if [ -e "$path" ] && [ ! -f "$path" ]; then
		rm -f -- "$tmp"
		return 1
	fi
	if [ -f "$path" ]; then
		cur=$(file_mode "$path") || cur=""
		if cmp -s -- "$tmp" "$path"; then
			rm -f -- "$tmp"
			[ "$cur" = "$mode" ] && return 0
			read_only "$path" && return 20
			chmod "$mode" -- "$path" 2>/dev/null || return 1
			return 10
		fi
		if read_only "$path"; then
			rm -f -- "$tmp"
			return 20
		fi
		write_in_place "$tmp" "$path" "$cur" "$mode"
		local rc=$?
		rm -f -- "$tmp"
		return $rc
	fi
	# A new file: nothing to preserve, so it appears complete.
	mkdir -p -- "$dir" 2>/dev/null || { rm -f -- "$tmp"; return 1; }
	new=$(mktemp "$dir/.cnorch-tmp.XXXXXX" 2>/dev/null) || { rm -f -- "$tmp"; return 1; }
	tmpfiles+=("$new")
	if ! cat -- "$tmp" > "$new" 2>/dev/null || ! chmod "$mode" -- "$new" ||
		! mv -f -- "$new" "$path"; then
		rm -f -- "$tmp" "$new"
		return 1
	fi
	rm -f -- "$tmp"
	return 10
}

# write_in_place SRC PATH CUR_MODE MODE: copy SRC's bytes into PATH's own
# inode.  Permissions are narrowed first (to CUR_MODE & MODE) so secrets
# never sit in a file more open than MODE, and widened after.  If the
# write fails half-way (disk full), the old content and mode are put
# back.  Returns 10 or 1.
write_in_place() {
	local src=$1 path=$2 cur=$3 mode=$4 old
	if [ -n "$cur" ] && [ "$cur" != "$mode" ]; then
		chmod "$(printf '%o' $((8#$cur & 8#$mode)))" -- "$path" 2>/dev/null || return 1
	fi
	old=$(mktemp "$stage/old.XXXXXX" 2>/dev/null) || return 1
	if ! cat -- "$path" > "$old" 2>/dev/null; then
		rm -f -- "$old"
		return 1
	fi
	if ! cat -- "$src" > "$path" 2>/dev/null; then
		cat -- "$old" > "$path" 2>/dev/null
		rm -f -- "$old"
		[ -z "$cur" ] || chmod "$cur" -- "$path" 2>/dev/null
		return 1
	fi
	rm -f -- "$old"
	if [ "$cur" != "$mode" ]; then
		chmod "$mode" -- "$path" 2>/dev/null || return 1
	fi
	return 10
}

# report ITEM RC WHAT FIX: turn a put_file status into the item's line.
# A read-only file is a warning with the manual fix, not a failure.
report() {
	case $2 in
	0) say_ok "$1" ;;
	10) say_changed "$1" ;;
	20) say_warn "$1" "$3 is read-only, left as is; $4" ;;
	*) say_error "$1" "cannot write $3" ;;
	esac
}

# backup_foreign ITEM PATH: PATH exists and is not ours -> keep a copy
# (PATH.cnorch-bak, or .cnorch-bak.N if that is taken by an older one).
# Prints the warn line.  Returns 1 if the copy could not be made.  A
# read-only file is not ours to replace: put_file leaves it and says so.
backup_foreign() {
	local item=$1 path=$2 bak n=1
	[ -e "$path" ] || return 0
	read_only "$path" && return 0
	grep -qF -- "$MARKER" "$path" 2>/dev/null && return 0
	bak="$path.cnorch-bak"
	while [ -e "$bak" ]; do
		n=$((n + 1))
		bak="$path.cnorch-bak.$n"
	done
	if ! cp -p -- "$path" "$bak" 2>/dev/null; then
		say_error "$item" "$(disp "$path") was not written by cnorch and cannot be backed up to $(disp "$bak")"
		return 1
	fi
	say_warn "$item" "$(disp "$path") was not written by cnorch; saved it as $(disp "$bak") and replaced it"
	return 0
}

# disp PATH -> PATH with the home directory shown as ~
disp() {
	case $1 in
	"$H"/*) printf '%s/%s\n' '~' "${1#"$H"/}" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# --------------------------------------------------------------- inputs

H=${CNORCH_HOME:-${HOME:-}}
DATA_DIR=${CNORCH_DATA_DIR:-}
HF_EP=${CNORCH_HF_ENDPOINT:-https://hf-mirror.com}
MS_EP=${CNORCH_MODELSCOPE_ENDPOINT:-https://www.modelscope.cn}
PYPI=${CNORCH_PYPI_MIRROR:-https://pypi.tuna.tsinghua.edu.cn/simple}
CONDA=${CNORCH_CONDA_MIRROR:-https://mirrors.tuna.tsinghua.edu.cn/anaconda}
PROXY=${CNORCH_PROXY:-}
PROXY_IN_SHELLS=${CNORCH_PROXY_IN_SHELLS:-0}

# Trailing slashes would give ".../anaconda//pkgs/main" and the like.
while [[ $HF_EP == */ ]]; do HF_EP=${HF_EP%/}; done
while [[ $MS_EP == */ ]]; do MS_EP=${MS_EP%/}; done
while [[ $CONDA == */ ]]; do CONDA=${CONDA%/}; done

# Everything is checked before anything is written.
bad=0
if [ -z "$H" ]; then
	say_error home "neither CNORCH_HOME nor HOME is set"
	bad=1
elif [[ $H != /* ]]; then
	say_error home "home directory must be an absolute path, got '$H'"
	bad=1
fi
if [ -z "$DATA_DIR" ]; then
	say_error data_dir "CNORCH_DATA_DIR is not set (the data disk, e.g. /root/autodl-tmp)"
	bad=1
elif [[ $DATA_DIR != /* ]]; then
	say_error data_dir "CNORCH_DATA_DIR must be an absolute path, got '$DATA_DIR'"
	bad=1
elif [[ $DATA_DIR == *[[:cntrl:]]* ]]; then
	say_error data_dir "CNORCH_DATA_DIR contains a control character"
	bad=1
fi
for pair in "CNORCH_HF_ENDPOINT=$HF_EP" "CNORCH_MODELSCOPE_ENDPOINT=$MS_EP" \
	"CNORCH_PYPI_MIRROR=$PYPI" "CNORCH_CONDA_MIRROR=$CONDA"; do
	name=${pair%%=*} value=${pair#*=}
	if ! valid_url "$value" || [[ ! $value =~ ^[Hh][Tt][Tt][Pp][Ss]?:// ]]; then
		say_error input "$name must be an http:// or https:// URL, got '$value'"
		bad=1
	fi
done
# The proxy value is never printed: it may carry user:password.
if [ -n "$PROXY" ] && ! valid_url "$PROXY"; then
	say_error input "CNORCH_PROXY must look like scheme://[user:pass@]host:port (value not shown)"
	bad=1
fi
case $PROXY_IN_SHELLS in
0 | 1 | "") ;;
*)
	say_error input "CNORCH_PROXY_IN_SHELLS must be 1 or 0, got '$PROXY_IN_SHELLS'"
	bad=1
	;;
esac
[ "$bad" -eq 0 ] || finish

while [[ $DATA_DIR == */ && $DATA_DIR != / ]]; do DATA_DIR=${DATA_DIR%/}; done

# ------------------------------------------------------------- data_dir

need=()
for d in "$DATA_DIR/hf/hub" "$DATA_DIR/modelscope"; do
	[ -d "$d" ] || need+=("$d")
done
if [ ${#need[@]} -eq 0 ]; then
	say_ok data_dir
elif mkdir -p -- "${need[@]}" 2>/dev/null; then
	say_changed data_dir
else
	say_error data_dir "cannot create $DATA_DIR/hf/hub and $DATA_DIR/modelscope"
	finish
fi

# ------------------------------------------------------------------ pip
# pip reads, per user, the legacy ~/.pip/pip.conf and then
# $XDG_CONFIG_HOME/pip/pip.conf (~/.config/pip/pip.conf), the later winning.
# No "proxy =" key is written: pip treats an empty proxy as unset and keeps
# the environment's http(s)_proxy, which requests filters through no_proxy,
# so the PyPI mirror's host in no_proxy (env item) is what bypasses a proxy.

pypi_host=$(url_host "$PYPI")
pip_conf="$H/.config/pip/pip.conf"
pip_content() {
	echo "$MARKER (setup-china-mirrors.sh); rewritten on every provision"
	echo "[global]"
	echo "index-url = $PYPI"
	if [[ ${PYPI,,} == http://* ]]; then
		echo "trusted-host = $pypi_host"
	fi
}
legacy_pip="$H/.pip/pip.conf"
if [ -f "$legacy_pip" ] && grep -qE '^[[:space:]]*index[-_]url[[:space:]]*=' "$legacy_pip" 2>/dev/null; then
	say_warn pip "$(disp "$legacy_pip") also sets index-url; $(disp "$pip_conf") is read after it and wins, but consider removing the old one"
fi
if backup_foreign pip "$pip_conf"; then
	put_file "$pip_conf" 644 < <(pip_content)
	rc=$?
	pip_fix="add 'index-url = $PYPI' under [global] in it"
	if [[ ${PYPI,,} == http://* ]]; then
		pip_fix="$pip_fix, with 'trusted-host = $pypi_host'"
	fi
	report pip "$rc" "$(disp "$pip_conf")" "$pip_fix"
fi

# ---------------------------------------------------------------- conda
# Only the stable channels are mirrored; pytorch-nightly is never mirrored
# (mirrors do not carry it, so a mirrored nightly resolves stale or empty).

condarc="$H/.condarc"
conda_content() {
	echo "$MARKER (setup-china-mirrors.sh); rewritten on every provision"
	echo "# Nightly PyTorch is deliberately not mirrored (mirrors do not carry it): use the official channel."
	echo "channels:"
	echo "  - defaults"
	echo "show_channel_urls: true"
	echo "default_channels:"
	echo "  - $CONDA/pkgs/main"
	echo "  - $CONDA/pkgs/free"
	echo "custom_channels:"
	echo "  conda-forge: $CONDA/cloud"
	echo "  pytorch: $CONDA/cloud"
}
if [ -f "$condarc" ]; then
	# A mirrored nightly: a non-comment line naming pytorch-nightly next to a
	# URL that is not the official anaconda.org.
	nightly=$(awk '
		{ line = $0; sub(/^[ \t]+/, "", line) }
		substr(line, 1, 1) == "#" { next }
		index(line, "pytorch-nightly") && index(line, "://") && !index(line, "anaconda.org") { print NR }
	' "$condarc" 2>/dev/null)
	for ln in $nightly; do
		if read_only "$condarc"; then
			say_warn conda "pytorch-nightly $(disp "$condarc"):$ln points pytorch-nightly at a mirror, which does not carry it; remove that line (install nightly from the official channel)"
		else
			say_warn conda "pytorch-nightly $(disp "$condarc"):$ln pointed pytorch-nightly at a mirror, which does not carry it; removed (install nightly from the official channel)"
		fi
	done
fi
if backup_foreign conda "$condarc"; then
	put_file "$condarc" 644 < <(conda_content)
	report conda $? "$(disp "$condarc")" \
		"make it writable and provision again, or give it 'default_channels: [$CONDA/pkgs/main, $CONDA/pkgs/free]' and 'custom_channels: {pytorch: $CONDA/cloud, conda-forge: $CONDA/cloud}'"
fi

# ------------------------------------------------------------------ env

# covered HOST: HOST matches an entry of the allowlist built so far in every
# client's reading of no_proxy.  Leading-dot entries are taken to cover
# subdomains only (httpx and Go do not match the bare domain with them),
# so an apex host such as hf-mirror.com is added as its own entry.
covered() {
	local h=$1 e
	local IFS=,
	for e in $no_proxy_list; do
		[ "$h" = "$e" ] && return 0
		[[ $e == .* && $h == *"$e" ]] && return 0
	done
	return 1
}

# The proxy reaches every shell only on request; otherwise env.sh has no
# proxy block, and one an earlier run wrote goes away with the rewrite.
shell_proxy=""
[ "$PROXY_IN_SHELLS" = 1 ] && shell_proxy=$PROXY
if [ -n "$shell_proxy" ]; then
	no_proxy_list="127.0.0.1,localhost,$DOMESTIC"
	for u in "$PYPI" "$CONDA" "$HF_EP" "$MS_EP"; do
		h=$(url_host "$u")
		covered "$h" || no_proxy_list="$no_proxy_list,$h"
	done
fi

env_content() {
	echo "$MARKER (setup-china-mirrors.sh); rewritten on every provision, edits are lost"
	echo "# Sourced first thing from ~/.bashrc and ~/.profile."
	echo "export HF_ENDPOINT=$(shell_quote "$HF_EP")"
	echo "export HF_HOME=$(shell_quote "$DATA_DIR/hf")"
	echo "export HF_HUB_CACHE=$(shell_quote "$DATA_DIR/hf/hub")"
	echo "export MODELSCOPE_CACHE=$(shell_quote "$DATA_DIR/modelscope")"
	echo "export MODELSCOPE_DOMAIN=$(shell_quote "$(url_hostport "$MS_EP")")"
	echo "export HF_HUB_ENABLE_HF_TRANSFER=0"
	echo "export PIP_INDEX_URL=$(shell_quote "$PYPI")"
	if [[ ${PYPI,,} == http://* ]]; then
		echo "export PIP_TRUSTED_HOST=$(shell_quote "$pypi_host")"
	fi
	if [ -n "$shell_proxy" ]; then
		echo "# proxy (cnorch, proxy_in_shells): domestic mirrors stay on the direct route via no_proxy"
		echo "export http_proxy=$(shell_quote "$shell_proxy")"
		echo "export https_proxy=$(shell_quote "$shell_proxy")"
		echo "export HTTP_PROXY=$(shell_quote "$shell_proxy")"
		echo "export HTTPS_PROXY=$(shell_quote "$shell_proxy")"
		echo "export no_proxy=$(shell_quote "$no_proxy_list")"
		echo "export NO_PROXY=$(shell_quote "$no_proxy_list")"
	fi
}
env_mode=644
if [ -n "$shell_proxy" ] && [[ $(url_authority "$shell_proxy") == *@* ]]; then
	env_mode=600 # the proxy URL carries credentials
fi
env_sh="$H/.cnorch/env.sh"
put_file "$env_sh" "$env_mode" < <(env_content)
report env $? "$(disp "$env_sh")" \
	"it is cnorch's own file: make it writable (chmod u+w $(disp "$env_sh")) and provision again"

# ------------------------------------------------------ bashrc, profile
# Our line goes FIRST: Ubuntu's ~/.bashrc returns early for non-interactive
# shells, and sshd's bash reads ~/.bashrc for "ssh host cmd", so a line
# below that guard never runs for remote commands.

# first_line ITEM PATH: never an error (see the top of the file); when
# the file cannot be changed, a warn with the line to add by hand.
first_line() {
	local item=$1 path=$2 mode=644 real rc
	local fix="add this line at its top: $SOURCE_LINE"
	real=$(resolve "$path")
	if [ -f "$real" ]; then
		mode=$(file_mode "$real")
		if [ ! -r "$real" ]; then
			say_warn "$item" "cannot read $(disp "$path"), left as is; $fix"
			return
		fi
	fi
	put_file "$path" "$mode" < <(
		printf '%s\n' "$SOURCE_LINE"
		if [ -f "$real" ]; then
			awk '
				index($0, ".cnorch/env.sh") && $0 ~ /# cnorch[ \t]*$/ { next }
				{ print }
			' "$real"
		fi
	)
	rc=$?
	if [ "$rc" -eq 1 ]; then
		say_warn "$item" "cannot write $(disp "$path"), left as is; $fix"
		return
	fi
	report "$item" "$rc" "$(disp "$path")" "$fix"
}
first_line bashrc "$H/.bashrc"
first_line profile "$H/.profile"

# A login bash reads the first of ~/.bash_profile, ~/.bash_login, ~/.profile.
for f in .bash_profile .bash_login; do
	if [ -f "$H/$f" ]; then
		if ! grep -qE -e '[.]profile' -e '[.]bashrc' -e '[.]cnorch/env[.]sh' "$H/$f" 2>/dev/null; then
			say_warn profile "$(disp "$H/$f") exists, so login shells skip $(disp "$H/.profile"), and it reads neither .bashrc nor .cnorch/env.sh; source .profile from it"
		fi
		break
	fi
done

# ---------------------------------------------------------- hf_endpoint
# The import-time trap: a later assignment overrides our HF_ENDPOINT, and
# hf_transfer hangs on flaky links.  Report, never edit user lines.

hf_findings=0
for f in .bashrc .profile; do
	[ -f "$H/$f" ] || continue
	while IFS=$'\t' read -r ln var val; do
		[ -n "$ln" ] || continue
		if [ "$var" = HF_ENDPOINT ]; then
			[ "${val%/}" = "$HF_EP" ] && continue
			say_warn hf_endpoint "$(disp "$H/$f"):$ln sets HF_ENDPOINT=$val after cnorch's env.sh; remove it"
		else
			say_warn hf_endpoint "$(disp "$H/$f"):$ln sets HF_HUB_ENABLE_HF_TRANSFER=$val, which hangs on flaky links; remove it"
		fi
		hf_findings=$((hf_findings + 1))
	done < <(awk '
		# print "LINE<TAB>VAR<TAB>VALUE" for assignments after our line
		function value(s,    c, q) {
			c = substr(s, 1, 1)
			if (c == "\"" || c == "\047") {
				s = substr(s, 2); q = index(s, c)
				return q ? substr(s, 1, q - 1) : s
			}
			sub(/[ \t;].*$/, "", s)
			return s
		}
		function scan(line, var,    p, before, v) {
			p = index(line, var "=")
			if (!p) return
			before = substr(line, 1, p - 1)
			if (before != "" && before !~ /[ \t;]$/) return
			v = value(substr(line, p + length(var) + 1))
			if (var == "HF_HUB_ENABLE_HF_TRANSFER") {
				if (v == "" || v == "0" || tolower(v) == "false" || tolower(v) == "no" || tolower(v) == "off") return
			}
			printf "%d\t%s\t%s\n", NR, var, v
		}
		!seen && index($0, ".cnorch/env.sh") && $0 ~ /# cnorch[ \t]*$/ { seen = 1; next }
		!seen { next }
		{ line = $0; sub(/^[ \t]+/, "", line) }
		substr(line, 1, 1) == "#" { next }
		{ scan(line, "HF_ENDPOINT"); scan(line, "HF_HUB_ENABLE_HF_TRANSFER") }
	' "$H/$f" 2>/dev/null)
done
[ "$hf_findings" -eq 0 ] && say_ok hf_endpoint

finish
