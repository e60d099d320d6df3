#!/usr/bin/env bash
# Installs the tspod API units (scripts/systemd/tspod.socket, tspod.service).
#
#   scripts/install-units.sh [--user] [--destdir DIR] [--bindir DIR] [--no-reload]
#
#   (default)      system units into /etc/systemd/system
#   --user         user units into ${XDG_CONFIG_HOME:-~/.config}/systemd/user
#                  (the same files: %t is $XDG_RUNTIME_DIR for the user manager)
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
reload=1
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user=1 ;;
    --destdir) destdir="${2:?--destdir needs a directory}"; shift ;;
    --destdir=*) destdir="${1#*=}" ;;
    --bindir) bindir="${2:?--bindir needs a directory}"; shift ;;
    --bindir=*) bindir="${1#*=}" ;;
    --no-reload) reload=0 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
for unit in tspod.socket tspod.service; do
  sed "s#/usr/local/bin/tspod#${bindir%/}/tspod#g" "$here/systemd/$unit" > "$target/$unit.tmp"
  chmod 0644 "$target/$unit.tmp"
  mv -f "$target/$unit.tmp" "$target/$unit"
  echo "$target/$unit"
done

if [ "$reload" = 1 ]; then
  "${systemctl[@]}" daemon-reload
  echo "install-units: now run: ${systemctl[*]} enable --now tspod.socket" >&2
fi
