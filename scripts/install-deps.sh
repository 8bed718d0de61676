#!/usr/bin/env bash
# Installs the Debian packages privaudit needs, and nothing else.
#   scripts/install-deps.sh           build, test and run (compiler, libraries, Criterion, gnuplot)
#   scripts/install-deps.sh --bench   also what `make bench` compares against (Debian's numpy, scipy, PyTorch)
#                                     and mpmath (the 50-digit references behind tests/test_eps.c, test_acct.c)
#   scripts/install-deps.sh --cluster also SLURM and munge, for `make test-slurm` (docs/cluster.md)
#   (the two options combine: --bench --cluster)
set -euo pipefail

pkgs=(
  build-essential pkg-config      # compiler, make, library discovery
  libopenblas-dev                 # BLAS for every matrix product
  libgsl-dev                      # special functions, distributions, quadrature, root finding
  libsqlite3-dev                  # the run database
  sqlite3                         # its command line, for make check-violations and the docs' queries
  libcjson-dev                    # configs, schemas, JSON output
  libglpk-dev                     # linear programs (reconstruction attacks)
  coinor-libclp-dev               # COIN-OR Clp: the reconstruction LP solver (faster than GLPK on these LPs)
  zlib1g-dev libbz2-dev liblzma-dev  # compressed R .rda files (make data)
  libcriterion-dev                # unit tests
  gnuplot-nox                     # figures (pngcairo/pdfcairo), at run time
  libxml2-utils poppler-utils     # tests: SVG parsed by xmllint, PDF by pdfinfo/pdffonts
  ca-certificates                 # apt-get download in make data
)
for opt in "$@"; do
  case $opt in
    --bench) pkgs+=(python3 python3-numpy python3-scipy python3-torch python3-mpmath) ;;
    --cluster) pkgs+=(slurm-wlm slurmctld slurmd slurm-client munge) ;;  # make test-slurm starts its own daemons
    *) echo "usage: $0 [--bench] [--cluster]" >&2; exit 2 ;;
  esac
done

# What is missing comes first: with everything installed, no root is needed.
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing ${#missing[@]} package(s): ${missing[*]}" >&2
    echo "install-deps: installing them needs root, and sudo is not installed; as root, run:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
