#!/usr/bin/env bash
# The socket-activated demo: sets the machine up (scripts/setup.sh), then runs
#   systemd-socket-activate -l 8080 tspod run --rm --network=none localhost/echo
# and shows an echo round trip through the socket systemd-socket-activate made,
# served by the container itself with no proxy in between.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

port=${DEMO_PORT:-8080}
if ! tspod image exists localhost/echo; then
  tspod import test/fixtures/out/echo-rootfs.tar localhost/echo --change 'ENTRYPOINT ["/usr/local/bin/echo-server"]' >/dev/null
fi

log=$(mktemp)
activator=
cleanup() {
  [ -n "$activator" ] && kill -TERM "$activator" 2>/dev/null && wait "$activator" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

echo "+ systemd-socket-activate -l $port tspod run --rm --network=none localhost/echo"
systemd-socket-activate -l "$port" tspod run --rm --network=none localhost/echo 2>"$log" &
activator=$!
for _ in $(seq 100); do grep -q 'Listening on' "$log" && break; sleep 0.05; done

echo "+ echo hello | socat -t 30 - tcp4:127.0.0.1:$port"
reply=$(echo hello | socat -t 30 - "tcp4:127.0.0.1:$port")
echo "$reply"

# The proof: the container's fd 3 is the very socket systemd-socket-activate created.
pid=$(tspod ps --format '{{.Pid}}' --filter status=running | head -n1)
listening=$(awk -v p=":$(printf '%04X' "$port")" '$2 ~ p"$" && $4 == "0A" {print $10}' /proc/net/tcp /proc/net/tcp6 | head -n1)
echo "container process $pid holds $(readlink "/proc/$pid/fd/3"); the listening socket on port $port is socket:[$listening]"
tspod ps

kill -TERM "$activator"   # reaches the echo server through --sig-proxy; --rm removes the container
wait "$activator" || true
activator=
[ "$reply" = hello ] && echo "demo: ok" || { echo "demo: unexpected reply '$reply'"; exit 1; }
