#!/bin/sh
# Build a minimal static libcurl (HTTP/HTTPS, OpenSSL, c-ares) from Debian's
# own curl source package, once, and print its install prefix on stdout.
#
# Why: Debian's libcurl.a drags in GSSAPI/LDAP/RTMP and cannot be linked
# fully static.  Why c-ares: glibc's getaddrinfo() in a static binary needs
# the NSS modules of the exact glibc it was built with, which the box lacks.
#
# The result is cached under $CNORCH_CACHE_DIR (default
# ~/.cache/cnorch) keyed by this script, the curl source version and the
# OpenSSL/c-ares package versions, so a rebuild or a second clone reuses it.
# apt is pointed at a private sources list; the system's apt configuration
# is never edited.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${CNORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cnorch}
mkdir -p "$cache"

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
key=$( { cat "$here/static-curl.sh"; pkgver libssl-dev; pkgver libc-ares-dev;
	pkgver libcurl4-openssl-dev; } | sha256sum | cut -c1-16)
prefix=$cache/static-curl-$key
if [ -f "$prefix/lib/libcurl.a" ]; then
	echo "static-curl: reusing $prefix" >&2
	echo "$prefix"
	exit 0
fi

log=$cache/static-curl-$key.log
work=$(mktemp -d "$cache/static-curl-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "static-curl: building into $prefix (log: $log)" >&2
(
	set -e
	cd "$work"
	mkdir -p apt/lists/partial
	# The distribution's own curl source, from the suite the machine runs.
	# shellcheck source=/dev/null
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	# shellcheck source=/dev/null
	distro=$(. /etc/os-release && echo "${ID:-debian}")
	if [ "$distro" = ubuntu ]; then
		{
			echo "deb-src http://archive.ubuntu.com/ubuntu $codename main"
			echo "deb-src http://archive.ubuntu.com/ubuntu $codename-updates main"
			echo "deb-src http://security.ubuntu.com/ubuntu $codename-security main"
		} > apt/sources.list
	else
		{
			echo "deb-src http://deb.debian.org/debian $codename main"
			echo "deb-src http://deb.debian.org/debian $codename-updates main"
			echo "deb-src http://deb.debian.org/debian-security $codename-security main"
		} > apt/sources.list
	fi
	aptopt="-o Dir::Etc::SourceList=$work/apt/sources.list
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$work/apt/lists
		-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	apt-get $aptopt update -qq
	# shellcheck disable=SC2086
	apt-get $aptopt source --download-only curl
	dpkg-source -x curl_*.dsc src
	cd src
	./configure --prefix="$prefix.tmp" --disable-shared --enable-static \
		--with-openssl --enable-ares --without-zlib --without-brotli \
		--without-zstd --without-libpsl --without-libidn2 \
		--without-nghttp2 --without-nghttp3 --without-ngtcp2 \
		--without-librtmp --without-libssh2 --without-libssh \
		--without-gssapi --disable-ldap --disable-ldaps \
		--disable-rtsp --disable-dict --disable-telnet --disable-tftp \
		--disable-pop3 --disable-imap --disable-smb --disable-smtp \
		--disable-gopher --disable-mqtt --disable-ftp --disable-file \
		--disable-manual --disable-ntlm --disable-ntlm-wb \
		--disable-cookies --without-ca-bundle --without-ca-path \
		--disable-dependency-tracking
	make -j"$(nproc)" -C lib
	make -C lib install
	make -C include install
) > "$log" 2>&1 || {
	echo "error: cannot build static libcurl, see $log" >&2
	tail -n 20 "$log" >&2
	exit 1
}
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
echo "$prefix"
