#!/usr/bin/env bash
# Installs the Debian packages mixq needs, only those that are missing (apt-get; sudo when not root).
set -euo pipefail
pkgs=(cmake make g++ pkg-config libxtensor-dev xtl-dev libxsimd-dev nlohmann-json3-dev libfmt-dev catch2 libcli11-dev
      libbenchmark-dev libopenblas-dev libzip-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
