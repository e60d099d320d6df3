#!/usr/bin/env bash
# Builds the root filesystems of tspod's test images from host binaries,
# without the internet:
#   OUTDIR/busybox-rootfs.tar  static busybox at /bin/busybox + applet symlinks,
#                              /etc/passwd, /etc/group, /tmp, /var/tmp, /proc, ...
#   OUTDIR/echo-rootfs.tar     the same base + /usr/local/bin/echo-server and
#                              /echo-server (scripts/echo-server.c, static)
#   OUTDIR/echo-server         the static server binary itself (for host tests)
# The tars are reproducible (same bytes on every run: sorted entries, uid/gid 0,
# fixed mtime, ustar format, explicit modes) and are only rebuilt when an input
# (busybox, echo-server.c, this script) is newer than them.
#
# Usage: scripts/build-test-images.sh OUTDIR
# Environment: BUSYBOX (default /bin/busybox, from Debian's busybox-static),
#              CC (default gcc; static linking needs libc6-dev).
set -euo pipefail

die() { echo "build-test-images: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 OUTDIR"
OUTDIR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"
SRC="$HERE/echo-server.c"
BUSYBOX=${BUSYBOX:-/bin/busybox}
CC=${CC:-gcc}
MTIME='2000-01-01 00:00:00Z'

# ---- tools ---------------------------------------------------------------
command -v tar >/dev/null 2>&1 || die "missing tool: tar (apt-get install tar)"
tar --version 2>/dev/null | grep -q 'GNU tar' || die "tar is not GNU tar (needed for --sort/--mtime)"
command -v "$CC" >/dev/null 2>&1 || die "missing tool: $CC (apt-get install gcc libc6-dev)"
[ -f "$SRC" ] || die "missing source: $SRC"
[ -x "$BUSYBOX" ] || die "missing $BUSYBOX (apt-get install busybox-static)"
if command -v ldd >/dev/null 2>&1 && ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install Debian's busybox-static (or set BUSYBOX=)"
fi
"$BUSYBOX" --list-full >/dev/null 2>&1 || die "$BUSYBOX does not support --list-full"

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
BB_TAR="$OUTDIR/busybox-rootfs.tar"
ECHO_TAR="$OUTDIR/echo-rootfs.tar"
ECHO_BIN="$OUTDIR/echo-server"

# up_to_date OUTPUT INPUT...: OUTPUT exists and is newer than every INPUT
up_to_date() {
    local out=$1 in; shift
    [ -e "$out" ] || return 1
    for in in "$@"; do [ "$out" -nt "$in" ] || return 1; done
}

if up_to_date "$BB_TAR" "$BUSYBOX" "$SELF" &&
   up_to_date "$ECHO_BIN" "$SRC" "$SELF" &&
   up_to_date "$ECHO_TAR" "$BUSYBOX" "$SRC" "$SELF" "$ECHO_BIN"; then
    echo "build-test-images: up to date in $OUTDIR"
    exit 0
fi

umask 022
WORK=$(mktemp -d "$OUTDIR/.build-test-images.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- the base root filesystem ---------------------------------------------
make_base() {
    local root=$1 d link
    for d in bin sbin usr/bin usr/sbin usr/local/bin etc root home proc sys dev run tmp var/tmp; do
        mkdir -p "$root/$d"
    done
    chmod 0755 "$root"
    chmod 1777 "$root/tmp" "$root/var/tmp"
    chmod 0700 "$root/root"
    install -m 0755 "$BUSYBOX" "$root/bin/busybox"
    # applet symlinks at their canonical places (bin/sh, usr/bin/env, sbin/ip, ...)
    "$BUSYBOX" --list-full | while IFS= read -r link; do
        case "$link" in
            */*) ;;              # skip top-level entries such as "linuxrc"
            *) continue ;;
        esac
        [ "$link" = bin/busybox ] && continue
        [ -e "$root/$link" ] || [ -L "$root/$link" ] || ln -s /bin/busybox "$root/$link"
    done
    [ -L "$root/bin/sh" ] || die "busybox has no sh applet"
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
EOF
    chmod 0644 "$root/etc/passwd" "$root/etc/group"
}

# pack ROOT OUT: reproducible tar of ROOT's contents (entry names without "./")
pack() {
    local root=$1 out=$2
    local -a top
    mapfile -t top < <(cd "$root" && LC_ALL=C ls -A | LC_ALL=C sort)
    LC_ALL=C tar -C "$root" --format=ustar --sort=name --numeric-owner --owner=0 --group=0 \
        --mtime="$MTIME" --no-acls --no-xattrs --no-selinux -cf "$out.tmp" -- "${top[@]}"
    mv -f "$out.tmp" "$out"
}

echo "build-test-images: compiling $SRC"
"$CC" -static -O2 -std=gnu11 -s -o "$WORK/echo-server" "$SRC" ||
    die "compiling $SRC failed (static linking needs libc6-dev)"
"$WORK/echo-server" --help >/dev/null || die "the compiled echo-server does not run"
mv -f "$WORK/echo-server" "$ECHO_BIN"

make_base "$WORK/base"
pack "$WORK/base" "$BB_TAR"
echo "build-test-images: wrote $BB_TAR"

install -m 0755 "$ECHO_BIN" "$WORK/base/usr/local/bin/echo-server"
install -m 0755 "$ECHO_BIN" "$WORK/base/echo-server"
pack "$WORK/base" "$ECHO_TAR"
echo "build-test-images: wrote $ECHO_TAR"
