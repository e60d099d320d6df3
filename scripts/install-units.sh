#!/usr/bin/env bash
# Installs the tspod API units (scripts/systemd/tspod.socket, tspod.service),
# tspod-restart.service (restart policy "always" at boot),
# tspod-kube@.service (a Kubernetes YAML per instance: tspod-kube@$(systemd-escape PATH).service)
# and the quadlet generator (tspod-systemd-generator).
#
#   scripts/install-units.sh [--user] [--destdir DIR] [--bindir DIR] [--prefix DIR] [--no-reload]
#
#   (default)      system units into /etc/systemd/system, and the generator for
#                  the system manager and for user managers:
#                  PREFIX/lib/systemd/system-generators/tspod-system-generator
#                  (.container and .kube files in /etc/containers/systemd) and
#                  PREFIX/lib/systemd/user-generators/tspod-user-generator
#                  (~/.config/containers/systemd)
#   --user         user units into ${XDG_CONFIG_HOME:-~/.config}/systemd/user
#                  (the same files: %t is $XDG_RUNTIME_DIR for the user manager);
#                  the generators are system-wide, installed by the default mode
#   --prefix DIR   where the generators go (default /usr)
#   --destdir DIR  stage under DIR instead of /, as `make install DESTDIR=` does
#                  (also taken from $DESTDIR); implies --no-reload
#   --bindir DIR   the directory holding the tspod executable (default /usr/local/bin)
#   --no-reload    do not run `systemctl [--user] daemon-reload`
#
# Then: systemctl [--user] enable --now tspod.socket
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
user=0
destdir="${DESTDIR:-}"
bindir=/usr/local/bin
prefix=/usr
reload=1
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user=1 ;;
    --destdir) destdir="${2:?--destdir needs a directory}"; shift ;;
    --destdir=*) destdir="${1#*=}" ;;
    --bindir) bindir="${2:?--bindir needs a directory}"; shift ;;
    --bindir=*) bindir="${1#*=}" ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift ;;
    --prefix=*) prefix="${1#*=}" ;;
    --no-reload) reload=0 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-units: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
case "$bindir" in /*) ;; *) echo "install-units: --bindir must be an absolute path" >&2; exit 2 ;; esac

if [ "$user" = 1 ]; then
  unitdir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
  systemctl=(systemctl --user)
else
  unitdir=/etc/systemd/system
  systemctl=(systemctl)
fi
[ -n "$destdir" ] && reload=0
target="${destdir%/}$unitdir"

mkdir -p "$target"
for unit in tspod.socket tspod.service tspod-restart.service tspod-kube@.service; do
  sed "s#/usr/local/bin/tspod#${bindir%/}/tspod#g" "$here/systemd/$unit" > "$target/$unit.tmp"
  chmod 0644 "$target/$unit.tmp"
  mv -f "$target/$unit.tmp" "$target/$unit"
  echo "$target/$unit"
done

# Generators are run with no arguments but the output directories, so the
# user one is a wrapper that adds --user (it searches the user's quadlet dirs).
if [ "$user" = 0 ]; then
  for kind in system user; do
    gendir="${destdir%/}${prefix%/}/lib/systemd/$kind-generators"
    mkdir -p "$gendir"
    flag=""
    [ "$kind" = user ] && flag=" --user"
    printf '#!/bin/sh\n# tspod quadlet generator for the %s manager (scripts/install-units.sh)\nexec %s/tspod-systemd-generator%s "$@"\n' \
      "$kind" "${bindir%/}" "$flag" > "$gendir/tspod-$kind-generator.tmp"
    chmod 0755 "$gendir/tspod-$kind-generator.tmp"
    mv -f "$gendir/tspod-$kind-generator.tmp" "$gendir/tspod-$kind-generator"
    echo "$gendir/tspod-$kind-generator"
  done
fi

if [ "$reload" = 1 ]; then
  "${systemctl[@]}" daemon-reload
  echo "install-units: now run: ${systemctl[*]} enable --now tspod.socket" >&2
fi
