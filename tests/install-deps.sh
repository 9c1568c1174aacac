#!/bin/bash
# install-deps.sh - make sure the Debian 12 packages that `make check` needs
# are installed (.ci/packages, plus node and npm for the interop suite).
# Installs what is missing when run as root; otherwise names it and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in $(grep -v '^#' .ci/packages); do
	# node and npm are handled below, never from the list: a NodeSource
	# nodejs (which ships its own npm) conflicts with Debian's npm package
	case "$p" in nodejs|npm) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
	    missing+=("$p")
done
node=()
# Debian's nodejs and npm, unless the machine has node and npm already (a
# NodeSource nodejs conflicts with Debian's npm)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	node=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && [ ${#node[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages: ${missing[*]} ${node[*]}" >&2
	echo "install-deps: run make check as root once, or apt-get install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]} ${node[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" "${node[@]}" >/dev/null
