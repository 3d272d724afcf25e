#!/usr/bin/env bash
# Install what building and testing cnorch needs on Debian/Ubuntu, only
# what is missing, with apt (through sudo when not root).
set -eu

pkgs=(gcc make meson ninja-build pkg-config python3 file curl
	libssh2-1-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
	libssl-dev libc-ares-dev libyaml-dev dpkg-dev xz-utils
	openssh-server openssh-client procps shellcheck aria2)

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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
