#!/usr/bin/env bash
# Builds (once per machine) the root filesystem tarball of a minimal Debian
# bookworm system that boots with systemd as PID 1, for the end-to-end test
# under a real systemd (test/e2e-systemd/). debootstrap takes minutes, so the
# tarball is cached, keyed by a hash of everything that goes into it:
#
#   scripts/build-systemd-image.sh [CACHE_DIR]     (default /var/cache/tspod-test)
#
# Prints the tarball's path on stdout. Packages come from the Debian mirror apt
# is configured with; nothing else is fetched.
set -euo pipefail

cache="${1:-${TSPOD_TEST_CACHE:-/var/cache/tspod-test}}"
suite=bookworm
variant=minbase
# systemd as init; dbus for systemctl; what the test drives inside: runc (the
# nested runtime), socat and curl (clients), iproute2 and iptables (bridge
# networks of the tspod inside), procps (diagnostics); for rootless units under
# `systemctl --user`: libpam-systemd (user@UID.service's PAM session sets
# XDG_RUNTIME_DIR, without it the user manager exits) and uidmap (the setuid
# newuidmap/newgidmap), as on any Debian system a rootless user logs in to.
packages=systemd,systemd-sysv,dbus,runc,socat,curl,iproute2,iptables,procps,libpam-systemd,uidmap

mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
    grep -v security | head -1 | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*//')
  echo "${uri:-http://deb.debian.org/debian}"
}

key=$(printf '%s\n' "$suite" "$variant" "$packages" "$(sed -n '/^# customize:/,$p' "$0")" | sha256sum | cut -c1-16)
tarball="$cache/debian-$suite-systemd-$key.tar"
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/rootfs"
echo "build-systemd-image: debootstrap $suite ($variant, $packages) from $(mirror) ..." >&2
start=$(date +%s)
if ! debootstrap --variant="$variant" --include="$packages" "$suite" "$tree" "$(mirror)" >"$work/debootstrap.log" 2>&1; then
  tail -30 "$work/debootstrap.log" >&2
  [ -f "$tree/debootstrap/debootstrap.log" ] && tail -30 "$tree/debootstrap/debootstrap.log" >&2
  exit 1
fi

# customize: (everything below is part of the cache key)
# An empty machine-id: each boot gets its own (from container_uuid, as under Podman).
: > "$tree/etc/machine-id"
rm -f "$tree/var/lib/dbus/machine-id"
# Units that have nothing to do in a container and only slow the boot down.
for unit in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$tree/etc/systemd/system/$unit"
done
echo tspod-e2e > "$tree/etc/hostname"
rm -rf "$tree/var/cache/apt/archives/"*.deb "$tree/var/lib/apt/lists/"*

tar -C "$tree" --numeric-owner -cf "$work/rootfs.tar" .
mv -f "$work/rootfs.tar" "$tarball"
# Tarballs of earlier package lists are of no more use.
find "$cache" -maxdepth 1 -name "debian-$suite-systemd-*.tar" ! -path "$tarball" -delete
echo "build-systemd-image: $tarball built in $(( $(date +%s) - start ))s" >&2
echo "$tarball"
