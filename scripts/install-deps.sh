#!/bin/bash
# Install the Debian packages smmutrace needs to build and test.
# Idempotent: does nothing when everything is present.  Needs root for apt.
#   scripts/install-deps.sh            build + test packages
#   scripts/install-deps.sh --bench    also what the benchmarks compare against
set -euo pipefail

PKGS=(
	make gcc libc6-dev pkg-config
	clang llvm                              # BPF objects, llvm-strip
	bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
	libjansson-dev                          # NDJSON output
	libcap-dev                              # privilege drop after attach
	libcmocka-dev                           # unit tests
	pahole                                  # BTF fixtures (pahole -J)
	libclang-rt-14-dev                      # ASan, UBSan, libFuzzer
	python3 python3-jsonschema              # JSON Schema validation in tests
	mandoc                                  # man page lint
	gzip procps util-linux
)
if [[ "${1:-}" == "--bench" ]]; then
	PKGS+=(bpftrace valgrind time)
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
if [[ $EUID -ne 0 ]]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "install-deps: apt-get update failed (no mirror?)" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
