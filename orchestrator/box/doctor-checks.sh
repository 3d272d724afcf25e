#!/usr/bin/env bash
# doctor-checks.sh: the box-side checks of `cnorch doctor`.  Embedded into
# cnorch at build time (embed_text.py) and sent on stdin to `bash -s` after
# a preamble that sets the inputs; never uploaded, never left on the box.
#
# Inputs (environment, set by the preamble):
#   CNORCH_DATA_DIR      the data disk directory, as the box expands it
#   CNORCH_PULL_BYTES    bytes the configured pulls still need (optional)
#   CNORCH_HF_ENDPOINT   the HF endpoint HF_ENDPOINT should hold (optional)
#   CNORCH_MIRROR_HOSTS  space-separated hosts that must bypass a proxy
#                        (the configured mirrors; optional)
#
# The script's own environment is what a non-interactive `ssh box cmd`
# sees (sshd's bash reads ~/.bashrc down to its early return); the
# interactive environment comes from `bash -ic`.
#
# Output, one line per finding:
#   check <id> ok|warn|fail <message>
#   fix <id> <how to fix>              (after every warn or fail)
# Ids: proxy no_proxy_wildcard no_proxy_case hf_transfer cache_hf
# cache_modelscope hf_endpoint disk_space conda_nightly.
# Always exits 0 when it ran to its end ("end" is the last line).
#
# Nothing here may hang: every command that could wait on the network, a
# dead mount or the user's dotfiles runs under `timeout` with </dev/null.
set -u

DATA_DIR=${CNORCH_DATA_DIR:-}
PULL_BYTES=${CNORCH_PULL_BYTES:-}
WANT_HF=${CNORCH_HF_ENDPOINT:-}
MIRROR_HOSTS=${CNORCH_MIRROR_HOSTS:-}
T=${CNORCH_CHECK_TIMEOUT:-5}
while [[ $WANT_HF == */ ]]; do WANT_HF=${WANT_HF%/}; done
DOMESTIC="pypi.tuna.tsinghua.edu.cn mirrors.tuna.tsinghua.edu.cn mirrors.aliyun.com pypi.mirrors.ustc.edu.cn hf-mirror.com www.modelscope.cn"
NO_PROXY_FIX="where the proxy is exported, also export no_proxy=127.0.0.1,localhost,.tuna.tsinghua.edu.cn,.aliyun.com,.aliyuncs.com,.ustc.edu.cn,.modelscope.cn,hf-mirror.com (plus your mirrors' hosts) and NO_PROXY=\"\$no_proxy\"; or give the host a \"proxy\" in the inventory and provision: cnorch writes both"

say() {
	local id=$1 level=$2 msg=$3 fix=${4:-}
	printf 'check %s %s %s\n' "$id" "$level" "$msg"
	if [ "$level" != ok ] && [ -n "$fix" ]; then
		printf 'fix %s %s\n' "$id" "$fix"
	fi
}

# ---------------------------------------------------- the two environments
# ssh: this shell's environment.  ia: an interactive bash's, read NUL-
# separated after a marker so dotfile chatter cannot be mistaken for it.
declare -A ssh_env=() ia_env=()
ia_ok=0
vars="http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY HF_ENDPOINT HF_HOME HF_HUB_CACHE MODELSCOPE_CACHE HF_HUB_ENABLE_HF_TRANSFER"
for v in $vars; do
	if [ -n "${!v+x}" ]; then
		ssh_env[$v]=${!v}
	fi
done
seen=0
while IFS= read -r -d '' kv; do
	if [ "$seen" -eq 0 ]; then
		[ "$kv" = CNORCH-ENV-BEGIN ] && seen=1
		continue
	fi
	k=${kv%%=*}
	# shellcheck disable=SC2034  # ia_env is read through namerefs (get, isset)
	case " $vars " in
	*" $k "*) ia_env[$k]=${kv#*=} ;;
	esac
	ia_ok=1
done < <(timeout "$T" bash -ic 'printf "\0CNORCH-ENV-BEGIN\0"; env -0' </dev/null 2>/dev/null)

# get ENV VAR -> value (empty when unset)
get() {
	local -n e=$1
	printf '%s' "${e[$2]-}"
}
isset() {
	local -n e=$1
	[ -n "${e[$2]+x}" ]
}
where() {
	if [ "$1" = ssh_env ]; then
		printf 'non-interactive ssh shells'
	else
		printf 'interactive shells'
	fi
}
envs=(ssh_env)
[ "$ia_ok" -eq 1 ] && envs+=(ia_env)

# covered HOST LIST: HOST bypasses the proxy under no_proxy LIST the way
# curl and requests read it (exact, or a domain suffix with or without the
# leading dot; a lone * exempts everything).
covered() {
	local h=$1 e items=()
	# read, not word splitting: a lone * must not glob
	IFS=, read -r -a items <<< "$2"
	for e in "${items[@]+"${items[@]}"}"; do
		e=${e// /}
		e=${e,,}
		[ -n "$e" ] || continue
		[ "$e" = '*' ] && return 0
		e=${e%%:*}
		[ "$h" = "${e#.}" ] && return 0
		[[ $h == *".${e#.}" ]] && return 0
	done
	return 1
}

# -------------------------------------------------------------- proxy
proxy_in=""
# The configured mirrors when cnorch names them, else the well-known ones.
hosts=${MIRROR_HOSTS,,}
[ -n "$hosts" ] || hosts=$DOMESTIC
proxy_fail=0
for e in "${envs[@]}"; do
	p=""
	for v in https_proxy HTTPS_PROXY http_proxy HTTP_PROXY ALL_PROXY all_proxy; do
		if [ -n "$(get "$e" "$v")" ]; then
			p=$v
			break
		fi
	done
	[ -n "$p" ] || continue
	proxy_in="$proxy_in $e"
	np=$(get "$e" no_proxy)
	NP=$(get "$e" NO_PROXY)
	missing=""
	for h in $hosts; do
		if ! covered "$h" "$np" && ! covered "$h" "$NP"; then
			missing="$missing $h"
		fi
	done
	if [ -n "$missing" ]; then
		proxy_fail=1
		if [ -z "$np$NP" ]; then
			say proxy fail "$p is set in $(where "$e") but no_proxy is not: pip, conda, hf-mirror and ModelScope traffic goes out through the proxy (slow or ProxyError)" "$NO_PROXY_FIX"
		else
			say proxy fail "$p is set in $(where "$e") and no_proxy does not exempt:${missing}" "$NO_PROXY_FIX"
		fi
		break
	fi
done
if [ -z "$proxy_in" ]; then
	say proxy ok "no proxy set"
elif [ "$proxy_fail" -eq 0 ]; then
	say proxy ok "a proxy is set and no_proxy exempts the domestic mirrors"
fi

# -------------------------------------------------- no_proxy wildcards
# requests does not expand "*.x" (only a lone "*"): such an entry exempts
# nothing.  With a proxy it is the trap above; without one it is latent.
wild=""
for e in "${envs[@]}"; do
	for v in no_proxy NO_PROXY; do
		val=$(get "$e" "$v")
		IFS=, read -r -a items <<< "$val"
		for it in "${items[@]+"${items[@]}"}"; do
			it=${it// /}
			if [[ $it == *'*'* && $it != '*' ]]; then
				case " $wild " in
				*" $v:$it "*) ;;
				*) wild="$wild $v:$it" ;;
				esac
			fi
		done
	done
done
# proxy_check ID FOUND OK-MSG BAD-MSG FIX: the no_proxy checks' verdict.
# A fault (FOUND non-empty) fails only where a proxy is set, else warns.
proxy_check() {
	local level=warn
	if [ -z "$2" ]; then
		say "$1" ok "$3"
		return
	fi
	[ -n "$proxy_in" ] && level=fail
	say "$1" "$level" "$4" "$5"
}

proxy_check no_proxy_wildcard "$wild" "no * wildcards in no_proxy" "no_proxy has * wildcards, which requests does not expand:${wild}" "write domains with a leading dot instead (*.modelscope.cn -> .modelscope.cn)"

# ----------------------------------------------- no_proxy vs NO_PROXY
case_msg=""
for e in "${envs[@]}"; do
	if isset "$e" no_proxy && ! isset "$e" NO_PROXY; then
		case_msg="only no_proxy is set in $(where "$e")"
	elif isset "$e" NO_PROXY && ! isset "$e" no_proxy; then
		case_msg="only NO_PROXY is set in $(where "$e")"
	elif [ "$(get "$e" no_proxy)" != "$(get "$e" NO_PROXY)" ]; then
		case_msg="no_proxy and NO_PROXY differ in $(where "$e")"
	fi
	[ -n "$case_msg" ] && break
done
proxy_check no_proxy_case "$case_msg" "no_proxy and NO_PROXY agree" "$case_msg; libraries read different casings, so some still use the proxy" "set both to the same value: export NO_PROXY=\"\$no_proxy\" right after no_proxy"

# --------------------------------------------------------- hf_transfer
xfer=""
for e in "${envs[@]}"; do
	val=$(get "$e" HF_HUB_ENABLE_HF_TRANSFER)
	case ${val,,} in
	"" | 0 | false | no | off) ;;
	*) xfer="HF_HUB_ENABLE_HF_TRANSFER=$val in $(where "$e")"; break ;;
	esac
done
if [ -z "$xfer" ]; then
	say hf_transfer ok "hf_transfer is off"
else
	say hf_transfer fail "$xfer: hf_transfer hangs without an error on flaky links" "remove the line that sets it (cnorch's env.sh sets HF_HUB_ENABLE_HF_TRANSFER=0); enable it only on a route measured fast and stable"
fi

# ------------------------------------------------------------- caches
# fs_of PATH -> "device<TAB>mountpoint" of the nearest existing ancestor
fs_of() {
	local p=$1 out
	while [ ! -e "$p" ] && [ "$p" != / ] && [ -n "$p" ]; do
		p=$(dirname -- "$p")
	done
	[ -n "$p" ] || p=/
	out=$(timeout "$T" df -P -- "$p" </dev/null 2>/dev/null | awk 'NR == 2 { dev = $1; mp = $6; for (i = 7; i <= NF; i++) mp = mp " " $i; print dev "\t" mp }')
	printf '%s\n' "$out"
}

H=${HOME:-}
data_fs=""
if [ -n "$DATA_DIR" ]; then
	data_fs=$(fs_of "$DATA_DIR")
fi
# cache_check ID LABEL DEFAULT VAR...: every VAR set (in either
# environment) must point at the data disk's filesystem; DEFAULT is what
# the library uses when none is set.
cache_check() {
	local id=$1 label=$2 def=$3 e v path fs bad="" fix any
	shift 3
	if [ -z "$data_fs" ]; then
		say "$id" warn "cannot tell which filesystem data_dir '$DATA_DIR' is on" "check that data_dir exists: cnorch provision creates it"
		return
	fi
	for e in "${envs[@]}"; do
		any=0
		for v in "$@" default; do
			if [ "$v" = default ]; then
				[ "$any" -eq 0 ] || break
				path=$def
			elif isset "$e" "$v" && [ -n "$(get "$e" "$v")" ]; then
				path=$(get "$e" "$v")
				any=1
			else
				continue
			fi
			[[ $path == '~'* ]] && path=$H${path#\~}
			fs=$(fs_of "$path")
			if [ -n "$fs" ] && [ "$fs" != "$data_fs" ]; then
				if [ "$v" = default ]; then
					v="the default $path (no ${*// /, } set in $(where "$e"))"
				else
					v="$v=$path (in $(where "$e"))"
				fi
				bad="$v is on ${fs#*$'\t'} (${fs%%$'\t'*}), not on the data disk $DATA_DIR (${data_fs#*$'\t'}, ${data_fs%%$'\t'*}): it fills the small system disk or is lost on release"
				break
			fi
		done
		[ -n "$bad" ] && break
	done
	if [ -z "$bad" ]; then
		say "$id" ok "$label cache is on the data disk"
		return
	fi
	case $id in
	cache_hf) fix="export HF_HOME=$DATA_DIR/hf HF_HUB_CACHE=$DATA_DIR/hf/hub (cnorch's env.sh does; remove the line that overrides it)" ;;
	*) fix="export MODELSCOPE_CACHE=$DATA_DIR/modelscope (cnorch's env.sh does; remove the line that overrides it)" ;;
	esac
	say "$id" fail "$bad" "$fix"
}
cache_check cache_hf "Hugging Face" "$H/.cache/huggingface" HF_HUB_CACHE HF_HOME
cache_check cache_modelscope ModelScope "$H/.cache/modelscope" MODELSCOPE_CACHE

# --------------------------------------------------------- hf_endpoint
have=${ssh_env[HF_ENDPOINT]-}
while [[ $have == */ ]]; do have=${have%/}; done
if [ -z "${ssh_env[HF_ENDPOINT]+x}" ] || [ -z "$have" ]; then
	say hf_endpoint fail "HF_ENDPOINT is not set in non-interactive ssh shells: scripts run over ssh download from huggingface.co" "source ~/.cnorch/env.sh on the FIRST line of ~/.bashrc, above its early return for non-interactive shells (cnorch provision puts it there)"
elif [ -n "$WANT_HF" ] && [ "$have" != "$WANT_HF" ]; then
	say hf_endpoint fail "HF_ENDPOINT is '$have' in non-interactive ssh shells, the inventory says '$WANT_HF'" "remove the line that sets HF_ENDPOINT after ~/.cnorch/env.sh, or change mirrors.hf in the inventory and provision again"
else
	say hf_endpoint ok "HF_ENDPOINT=$have"
fi

# ----------------------------------------------------------- disk_space
# human BYTES -> "1.5 GiB"
human() {
	awk -v b="$1" 'BEGIN {
		split("B KiB MiB GiB TiB PiB", u, " "); i = 1
		while (b >= 1024 && i < 6) { b /= 1024; i++ }
		printf (i == 1 ? "%d %s\n" : "%.1f %s\n"), b, u[i]
	}' </dev/null
}
if [ -z "$DATA_DIR" ]; then
	say disk_space warn "data_dir unknown" "set data_dir for this host in the inventory"
elif [ ! -d "$DATA_DIR" ]; then
	say disk_space fail "data_dir $DATA_DIR does not exist" "mount the data disk or fix data_dir; cnorch provision creates the directory"
else
	avail_kb=$(timeout "$T" df -P -k -- "$DATA_DIR" </dev/null 2>/dev/null | awk 'NR == 2 { print $4 }')
	if ! [[ $avail_kb =~ ^[0-9]+$ ]]; then
		say disk_space warn "cannot read the free space of $DATA_DIR" "check the data disk: df -h $DATA_DIR"
	elif [[ $PULL_BYTES =~ ^[0-9]+$ ]] && [ "$PULL_BYTES" -gt 0 ] && [ $((avail_kb * 1024)) -lt "$PULL_BYTES" ]; then
		say disk_space fail "$DATA_DIR has $(human $((avail_kb * 1024))) free, the configured pulls need $(human "$PULL_BYTES") more" "free $(human $((PULL_BYTES - avail_kb * 1024))) on the data disk, grow it, or drop pulls from the inventory"
	else
		msg="$DATA_DIR has $(human $((avail_kb * 1024))) free"
		if [[ $PULL_BYTES =~ ^[0-9]+$ ]]; then
			msg="$msg, the configured pulls need $(human "$PULL_BYTES") more"
		fi
		say disk_space ok "$msg"
	fi
fi

# --------------------------------------------------------- conda_nightly
# A mirrored nightly: a non-comment line naming pytorch-nightly next to a
# URL that is not the official anaconda.org.
nightly=""
for rc in "$H/.condarc" "${CONDARC:-}"; do
	if [ -z "$rc" ] || [ ! -f "$rc" ]; then
		continue
	fi
	# shellcheck disable=SC2016  # an awk program, not shell
	lines=$(timeout "$T" awk '
		{ line = $0; sub(/^[ \t]+/, "", line) }
		substr(line, 1, 1) == "#" { next }
		index(line, "pytorch-nightly") && index(line, "://") && !index(line, "anaconda.org") { printf "%s%d", sep, NR; sep = "," }
	' "$rc" </dev/null 2>/dev/null)
	if [ -n "$lines" ]; then
		nightly="$rc line $lines"
		break
	fi
done
if [ -z "$nightly" ]; then
	say conda_nightly ok "pytorch-nightly is not mirrored"
else
	say conda_nightly fail "$nightly points pytorch-nightly at a mirror, which does not carry it (stale or missing builds)" "delete that line; install nightly from the official channel (-c pytorch-nightly from conda.anaconda.org); cnorch provision rewrites .condarc without it"
fi

echo end
