#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) for tspod: Debian packages, npm
# packages, the build, `tspod` on PATH, and the test images built from host binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(runc socat busybox-static gcc libc6-dev systemd iproute2 iptables docker-registry apache2-utils curl tar make g++ python3 docker-compose debootstrap bats jq skopeo file openssl)
# The API tests drive the real docker CLI; machines of this kind ship it, else Debian's docker.io has it.
command -v docker >/dev/null || packages+=(docker.io)
# containers-common's default seccomp profile (tspod ships a copy for machines without it)
packages+=(golang-github-containers-common)
# rootless mode: newuidmap/newgidmap for the user namespace (lib/rootless)
packages+=(uidmap)
# pods: the infra container runs Debian's static catatonit (lib/pod/infra-image.ts)
packages+=(catatonit)
# completion tests run the zsh and fish scripts in those shells; man pages are checked with groff
packages+=(zsh fish groff-base man-db)
# rootless networks: --network=slirp4netns (the default for a user) and --network=pasta (lib/network/usermode)
packages+=(slirp4netns passt)
# remote over SSH: the tests run a private sshd (test/integration/remote-ssh.test.ts); the client uses ssh
packages+=(openssh-server openssh-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
for bin in tspod tspod-conmon tspod-runtime tspod-systemd-generator; do ln -sf "$PWD/dist/$bin" "/usr/local/bin/$bin"; done
# man pages (written by the build from the command definitions): man tspod-run
mkdir -p /usr/local/share/man/man1
for page in dist/man/man1/*.1; do ln -sf "$PWD/$page" "/usr/local/share/man/man1/${page##*/}"; done
bash scripts/build-test-images.sh test/fixtures/out
echo "setup: done ($(tspod --version))"
