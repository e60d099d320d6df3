#!/usr/bin/env bash
# Quick host-only self-check of scripts/echo-server.c (no containers):
# compiles it statically, runs it under systemd-socket-activate for every
# socket kind (tcp4, tcp6, udp4, udp6, unix stream, unix datagram, several at
# once with names) and checks the echo with socat; also checks that it
# refuses to start without sockets meant for its pid, the -p PORT mode, and
# that SIGTERM/SIGINT exit with status 0.
#
# Usage: scripts/echo-server-test.sh        (exit status 0 = all checks passed)
# Needs: gcc (+ libc6-dev for -static), socat, systemd-socket-activate, timeout.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
for tool in gcc socat systemd-socket-activate timeout cmp head; do
    command -v "$tool" >/dev/null 2>&1 || { echo "echo-server-test: missing tool: $tool" >&2; exit 2; }
done

T=$(mktemp -d /tmp/echo-server-test.XXXXXX)
SERVER="$T/echo-server"
PIDS=()       # every background pid started here (killed by pid on exit)
FAILS=0
SRV_PID=
SRV_LOG=

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*" >&2; FAILS=$((FAILS + 1)); }

# A port in 20000..59999 that nothing on the host uses (tcp or udp, v4 or v6).
random_port() {
    local p hex i
    for i in $(seq 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        hex=$(printf ':%04X ' "$p")
        if ! cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null | grep -qi "$hex"; then
            echo "$p"; return 0
        fi
    done
    echo "echo-server-test: no free port found" >&2; exit 2
}

# wait_for FILE PATTERN COUNT: wait (max 10 s) until FILE has COUNT lines matching PATTERN.
wait_for() {
    local i
    for i in $(seq 100); do
        [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# start NAME NLISTEN ARGS...: run ARGS in the background with stderr to $T/NAME.log
# and wait until systemd-socket-activate reports NLISTEN sockets listening.
start() {
    local name=$1 nlisten=$2; shift 2
    SRV_LOG="$T/$name.log"
    "$@" </dev/null >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    if ! wait_for "$SRV_LOG" '^Listening on ' "$nlisten"; then
        fail "$name: systemd-socket-activate did not listen: $(cat "$SRV_LOG")"
        return 1
    fi
}

# stop NAME [SIGNAL]: send SIGNAL (default TERM) to the server pid, expect exit status 0 within 5 s.
stop() {
    local name=$1 sig=${2:-TERM} i rc
    kill "-$sig" "$SRV_PID" 2>/dev/null
    for i in $(seq 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SRV_PID" 2>/dev/null; then
        kill -KILL "$SRV_PID"; wait "$SRV_PID" 2>/dev/null
        fail "$name: server did not exit on SIG$sig"; return 1
    fi
    wait "$SRV_PID"; rc=$?
    if [ "$rc" -eq 0 ]; then pass "$name: exits 0 on SIG$sig"; else fail "$name: exit status $rc on SIG$sig"; fi
}

# check_echo NAME TIMEOUT SOCAT-ADDRESS: send a line, expect it back.
# Stream kinds: socat half-closes after stdin EOF and waits (-t) for the server's EOF.
# Datagram kinds: socat waits -t seconds for replies after stdin EOF.
check_echo() {
    local name=$1 t=$2 addr=$3 msg out
    msg="hello $name $RANDOM"
    out=$(printf '%s\n' "$msg" | timeout 15 socat -t "$t" - "$addr" 2>&1)
    if [ "$out" = "$msg" ]; then pass "$name: echo via $addr"; else fail "$name: echo via $addr: got '$out'"; fi
}

# check_line NAME REGEX: the server's startup line in the log matches REGEX.
check_line() {
    if wait_for "$SRV_LOG" '^echo-server: serving' 1 && grep -Eq -- "$2" "$SRV_LOG"; then
        pass "$1: startup line: $(grep '^echo-server: serving' "$SRV_LOG")"
    else
        fail "$1: startup line does not match '$2': $(cat "$SRV_LOG")"
    fi
}

echo "# compiling"
if ! gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$SERVER" "$HERE/echo-server.c"; then
    echo "echo-server-test: compilation failed (static linking needs libc6-dev)" >&2; exit 1
fi
pass "compiled $HERE/echo-server.c (static)"

echo "# tcp4 (+ large payload, concurrent clients, half-close)"
P=$(random_port)
if start tcp4 1 systemd-socket-activate -l "127.0.0.1:$P" "$SERVER"; then
    check_echo tcp4 5 "TCP4:127.0.0.1:$P"
    check_line tcp4 '^echo-server: serving 1 socket: 3$'
    head -c 3000000 /dev/urandom >"$T/big"
    for i in $(seq 20); do
        timeout 20 socat -t 10 - "TCP4:127.0.0.1:$P" <"$T/big" >"$T/big.$i" 2>/dev/null &
        PIDS+=($!)
    done
    wait "${PIDS[@]: -20}"
    ok=1
    for i in $(seq 20); do cmp -s "$T/big" "$T/big.$i" || ok=0; done
    if [ $ok = 1 ]; then pass "tcp4: 20 concurrent 3 MB echoes"; else fail "tcp4: concurrent large echoes differ"; fi
    stop tcp4
fi

echo "# tcp6"
P=$(random_port)
if start tcp6 1 systemd-socket-activate -l "[::1]:$P" "$SERVER"; then
    check_echo tcp6 5 "TCP6:[::1]:$P"
    stop tcp6 INT
fi

echo "# udp4"
P=$(random_port)
if start udp4 1 systemd-socket-activate --datagram -l "127.0.0.1:$P" "$SERVER"; then
    check_echo udp4 1 "UDP4:127.0.0.1:$P"
    check_echo udp4-again 1 "UDP4:127.0.0.1:$P"
    stop udp4
fi

echo "# udp6"
P=$(random_port)
if start udp6 1 systemd-socket-activate --datagram -l "[::1]:$P" "$SERVER"; then
    check_echo udp6 1 "UDP6:[::1]:$P"
    stop udp6
fi

echo "# unix stream"
if start unix 1 systemd-socket-activate -l "$T/s.sock" "$SERVER"; then
    check_echo unix 5 "UNIX-CONNECT:$T/s.sock"
    stop unix
fi

echo "# unix datagram"
if start unixgram 1 systemd-socket-activate --datagram -l "$T/d.sock" "$SERVER"; then
    check_echo unixgram 1 "UNIX-SENDTO:$T/d.sock,bind=$T/c1.sock"
    check_echo unixgram-again 1 "UNIX-SENDTO:$T/d.sock,bind=$T/c2.sock"
    # an unbound sender cannot be answered; the server must survive it
    printf 'nobody\n' | timeout 5 socat -t 0.2 - "UNIX-SENDTO:$T/d.sock" >/dev/null 2>&1
    check_echo unixgram-after-unbound 1 "UNIX-SENDTO:$T/d.sock,bind=$T/c3.sock"
    stop unixgram
fi

echo "# two named sockets"
P=$(random_port); P2=$(random_port)
if start named 2 systemd-socket-activate -l "127.0.0.1:$P" -l "127.0.0.1:$P2" --fdname=web:alt "$SERVER"; then
    check_echo named-web 5 "TCP4:127.0.0.1:$P"
    check_echo named-alt 5 "TCP4:127.0.0.1:$P2"
    check_line named '^echo-server: serving 2 sockets: 3\(web\) 4\(alt\)$'
    stop named
fi

echo "# all six kinds in one server (stream sockets passed through a datagram activator)"
P=$(random_port); P2=$(random_port)
if start mixed 3 systemd-socket-activate -l "127.0.0.1:$P" -l "[::1]:$P" -l "$T/m.sock" \
        systemd-socket-activate --datagram -l "127.0.0.1:$P2" -l "[::1]:$P2" -l "$T/md.sock" \
        --fdname=t4:t6:us:u4:u6:ud "$SERVER"; then
    check_echo mixed-tcp4 5 "TCP4:127.0.0.1:$P"
    check_line mixed '^echo-server: serving 6 sockets: 3\(t4\) 4\(t6\) 5\(us\) 6\(u4\) 7\(u6\) 8\(ud\)$'
    check_echo mixed-tcp6 5 "TCP6:[::1]:$P"
    check_echo mixed-unix 5 "UNIX-CONNECT:$T/m.sock"
    check_echo mixed-udp4 1 "UDP4:127.0.0.1:$P2"
    check_echo mixed-udp6 1 "UDP6:[::1]:$P2"
    check_echo mixed-unixgram 1 "UNIX-SENDTO:$T/md.sock,bind=$T/mc.sock"
    stop mixed
fi

echo "# refusals"
refuse() {
    local name=$1 out rc; shift
    out=$(timeout 5 env "$@" 2>&1 </dev/null); rc=$?
    if [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q '^echo-server: '; then
        pass "$name: refuses (exit 1): $out"
    else
        fail "$name: expected exit 1 with a message, got $rc: $out"
    fi
}
refuse "LISTEN_PID=1" LISTEN_PID=1 LISTEN_FDS=1 "$SERVER"
refuse "LISTEN_PID=\$\$" LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=x "$SERVER"
refuse "no LISTEN_*" -u LISTEN_PID -u LISTEN_FDS "$SERVER"
refuse "LISTEN_FDS=0" LISTEN_PID=self LISTEN_FDS=0 "$SERVER"
refuse "bad flag" "$SERVER" --bogus

echo "# -p PORT (no activation)"
P=$(random_port)
SRV_LOG="$T/port.log"
LISTEN_PID=1 LISTEN_FDS=1 "$SERVER" -p "$P" </dev/null >"$SRV_LOG" 2>&1 &
SRV_PID=$!; PIDS+=("$SRV_PID")
if wait_for "$SRV_LOG" '^echo-server: serving' 1; then
    check_line port "^echo-server: serving 1 socket: [0-9]+\(tcp 0\.0\.0\.0:$P\)$"
    check_echo port 5 "TCP4:127.0.0.1:$P"
    stop port
else
    fail "port: server did not start: $(cat "$SRV_LOG")"
fi

echo
if [ "$FAILS" -eq 0 ]; then echo "echo-server-test: all checks passed"; exit 0; fi
echo "echo-server-test: $FAILS check(s) failed" >&2
exit 1
