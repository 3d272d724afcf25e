#!/usr/bin/env bash
# Install what building and testing cnorch needs on Debian/Ubuntu, only
# what is missing, with apt (through sudo when not root).
set -eu

pkgs=(gcc make meson ninja-build pkg-config python3 file curl
	libssh2-1-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
	libssl-dev libc-ares-dev libyaml-dev dpkg-dev xz-utils
	openssh-server openssh-client procps shellcheck aria2
	iproute2 tinyproxy dante-server ansible-core tmux)
# Tests run their own tinyproxy and danted (tests/fixtures/proxies.sh):
# the packages' system services must not start or stay enabled.
services=(tinyproxy danted)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "error: need root or sudo to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d answering 101 ("action forbidden") keeps invoke-rc.d and
# deb-systemd-invoke from starting services during the install.  Only one
# we put there ourselves is removed afterwards.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# setup-deps.sh: no service starts during the install\nexit 101\n' |
		$sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	own_policy=1
fi
cleanup() { [ "$own_policy" = 0 ] || $sudo rm -f "$policy"; }
trap cleanup EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for s in "${services[@]}"; do
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		$sudo systemctl disable --now "$s.service" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$s" ]; then
		$sudo update-rc.d "$s" disable >/dev/null 2>&1 || true
	fi
done
