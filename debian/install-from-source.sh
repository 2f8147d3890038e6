#!/bin/bash
# The README's install command: on Debian 12, as root, from a checkout.
# Installs the build dependencies named in debian/control, builds the
# packages from a copy of the tree in a temporary directory and installs
# libpam-totp with apt, whose postinst creates /etc/pam_totp/host.{key,pub}
# and /var/lib/pam_totp. The .debs are kept in build-deb/ for other
# machines, libpam-totp-ldap's (fleet mode, configured by hand first:
# pam_totp_ldap(8)) too; it is not installed.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
	echo "install-from-source: run this as root" >&2
	exit 1
fi
top=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

echo "== installing build dependencies"
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential dpkg-dev >/dev/null
apt-get build-dep -y -qq "$top" >/dev/null

work=$(mktemp -d /tmp/pam-totp-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"   # apt reads the .deb as user _apt
mkdir "$work/pam-totp"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./obj-*' -cf - . |
	tar -C "$work/pam-totp" -xf -

echo "== building the package (log: $top/build-deb/build.log)"
mkdir -p "$top/build-deb"
if ! (cd "$work/pam-totp" && dpkg-buildpackage -b -us -uc) >"$top/build-deb/build.log" 2>&1; then
	tail -n 40 "$top/build-deb/build.log"
	echo "install-from-source: the package build failed" >&2
	exit 1
fi
rm -f "$top"/build-deb/libpam-totp_*.deb "$top"/build-deb/libpam-totp-ldap_*.deb
cp "$work"/libpam-totp_*.deb "$work"/libpam-totp-ldap_*.deb "$top/build-deb/"

echo "== installing"
apt-get install -y -qq "$work"/libpam-totp_*.deb
echo "== done: $(ls "$top"/build-deb/libpam-totp_*.deb)"
echo "   module: $(dpkg -L libpam-totp | grep '/security/pam_totp.so$')"
echo "   next: man pam_totp, then see README.md for the PAM recipes"
echo "   fleet mode (not installed): $(ls "$top"/build-deb/libpam-totp-ldap_*.deb), see man -l man/pam_totp_ldap.8"
