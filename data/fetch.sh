#!/usr/bin/env bash
# data/fetch.sh OUTDIR [name...] — obtain real data sets from Debian packages.
#
# Names: healthinsurance, cps1988, fertility (R data frames from r-cran-aer),
# digits (8x8 digits from python3-sklearn) and fashion-mnist (Zalando's
# 28x28 images, IDX files from dataset-fashion-mnist); no name means all.
# Each package is downloaded with `apt-get download` into OUTDIR/debs (not
# installed) and unpacked with `dpkg-deb -x` into OUTDIR/pkgroot. The .rda
# files are converted by `privaudit data import`; the drafted schema is then
# replaced by the committed data/schemas/<name>.json (public a-priori bounds
# and roles, "inferred": false), and `privaudit data check` verifies that the
# CSV conforms to it and has the documented shape. Outputs:
# OUTDIR/<name>.csv and OUTDIR/<name>.schema.json; for fashion-mnist
# OUTDIR/fashion-mnist-{train,test}.csv and .schema.json, written by
# `privaudit data import-idx` (schema from the format: 784 pixel columns
# px0..px783 numeric integer [0, 255], label categorical with 10 codes; not
# inferred), 60000 and 10000 rows. Re-running is safe: a .deb
# already in OUTDIR/debs is not downloaded again.
#
# Environment: PRIVAUDIT (default: ./privaudit beside this repository's
# Makefile) is the program used for the imports.
set -euo pipefail

usage() {
    echo "usage: bash data/fetch.sh OUTDIR [healthinsurance|cps1988|fertility|digits|fashion-mnist ...]" >&2
    exit 2
}
die() {
    echo "fetch.sh: error: $*" >&2
    exit 1
}
say() {
    echo "fetch.sh: $*" >&2
}

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
OUTDIR=$1
shift
ALL=(healthinsurance cps1988 fertility digits fashion-mnist)
if [ $# -eq 0 ]; then NAMES=("${ALL[@]}"); else NAMES=("$@"); fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PRIVAUDIT=${PRIVAUDIT:-$ROOT/privaudit}
SCHEMAS=$HERE/schemas
[ -x "$PRIVAUDIT" ] || die "$PRIVAUDIT not found or not executable: run 'make' first (or set PRIVAUDIT)"
for tool in apt-get dpkg-deb gzip; do
    command -v "$tool" >/dev/null || die "'$tool' not found: this script needs a Debian system"
done

# Per data set: package, object in the .rda, expected rows and columns.
spec() {
    case "$1" in
    healthinsurance) echo "r-cran-aer HealthInsurance 8802 11" ;;
    cps1988) echo "r-cran-aer CPS1988 28155 7" ;;
    fertility) echo "r-cran-aer Fertility 254654 8" ;;
    digits) echo "python3-sklearn digits 1797 65" ;;
    fashion-mnist) echo "dataset-fashion-mnist fashion-mnist 60000 785" ;;
    *) return 1 ;;
    esac
}
for name in "${NAMES[@]}"; do
    spec "$name" >/dev/null || { echo "fetch.sh: error: unknown data set '$name': expected one of ${ALL[*]}" >&2; exit 2; }
done

mkdir -p "$OUTDIR/debs" "$OUTDIR/pkgroot"
OUTDIR=$(cd "$OUTDIR" && pwd)
AERDATA=$OUTDIR/pkgroot/usr/lib/R/site-library/AER/data
SKDATA=$OUTDIR/pkgroot/usr/lib/python3/dist-packages/sklearn/datasets/data
FMDATA=$OUTDIR/pkgroot/usr/share/datasets/fashion-mnist

# fetch_deb PKG: download PKG's .deb once and unpack it into pkgroot.
declare -A UNPACKED=()
fetch_deb() {
    local pkg=$1 deb log
    [ -n "${UNPACKED[$pkg]:-}" ] && return 0
    deb=$(find "$OUTDIR/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
    if [ -n "$deb" ]; then
        say "$pkg: have $(basename "$deb")"
    else
        say "$pkg: apt-get download $pkg (into $OUTDIR/debs)"
        log=$(mktemp)
        if ! (cd "$OUTDIR/debs" && apt-get download "$pkg") >"$log" 2>&1; then
            if grep -qiE "unable to locate|no candidate|can't select|has no installation candidate" "$log"; then
                if [ "$(id -u)" -ne 0 ]; then
                    cat "$log" >&2
                    rm -f "$log"
                    die "apt-get download $pkg: apt has no package lists for it, and updating them needs root: run 'apt-get update' as root (or 'sudo apt-get update'), then re-run this (make data)"
                fi
                say "$pkg: apt has no package lists for it; running apt-get update (as root)"
                apt-get update >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; die "apt-get update failed"; }
                if ! (cd "$OUTDIR/debs" && apt-get download "$pkg") >"$log" 2>&1; then
                    cat "$log" >&2
                    rm -f "$log"
                    die "apt-get download $pkg failed after apt-get update (no network or no such package?)"
                fi
            else
                cat "$log" >&2
                rm -f "$log"
                die "apt-get download $pkg failed (see apt's message above)"
            fi
        fi
        rm -f "$log"
        deb=$(find "$OUTDIR/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
        [ -n "$deb" ] || die "apt-get download $pkg reported success but no ${pkg}_*.deb is in $OUTDIR/debs"
        say "$pkg: downloaded $(basename "$deb")"
    fi
    say "$pkg: dpkg-deb -x $(basename "$deb") $OUTDIR/pkgroot"
    dpkg-deb -x "$deb" "$OUTDIR/pkgroot"
    UNPACKED[$pkg]=1
}

# check NAME ROWS COLS: the CSV conforms to the committed schema, shape included.
check() {
    "$PRIVAUDIT" data check "$OUTDIR/$1.csv" --schema "$OUTDIR/$1.schema.json" --rows "$2" --cols "$3" ||
        die "$1: $OUTDIR/$1.csv does not conform to $SCHEMAS/$1.json or has not the shape $2 x $3"
}

import_rda() {
    local name=$1 object=$2 rows=$3 cols=$4 rda log
    rda=$AERDATA/$object.rda
    if [ ! -f "$rda" ]; then
        if [ -f "$AERDATA/Rdata.rdb" ]; then
            die "$name: this r-cran-aer ships its data as a lazy-load database ($AERDATA/Rdata.rdb), not as .rda files; privaudit's importer reads .rda only"
        fi
        die "$name: $rda not found in the unpacked r-cran-aer"
    fi
    say "$name: privaudit data import $rda --object $object --name $name --out $OUTDIR"
    log=$(mktemp)
    if ! "$PRIVAUDIT" data import "$rda" --object "$object" --name "$name" --out "$OUTDIR" 2>"$log"; then
        cat "$log" >&2
        rm -f "$log"
        die "$name: import failed"
    fi
    # keep the "wrote ..." line; the draft's leak warning does not apply to the committed schema
    grep -v 'warning:' "$log" >&2 || true
    rm -f "$log"
    say "$name: replacing the drafted schema by $SCHEMAS/$name.json (public bounds and roles)"
    cp "$SCHEMAS/$name.json" "$OUTDIR/$name.schema.json.tmp"
    mv "$OUTDIR/$name.schema.json.tmp" "$OUTDIR/$name.schema.json"
    check "$name" "$rows" "$cols"
}

import_digits() {
    local gz=$SKDATA/digits.csv.gz tmp
    [ -f "$gz" ] || die "digits: $gz not found in the unpacked python3-sklearn"
    say "digits: $gz -> $OUTDIR/digits.csv (header px0..px63,label)"
    tmp=$OUTDIR/digits.csv.tmp
    {
        hdr=""
        for k in $(seq 0 63); do hdr="${hdr}px$k,"; done
        echo "${hdr}label"
        gzip -dc "$gz" | tr -d '\r' | sed '/^$/d'
    } >"$tmp"
    mv "$tmp" "$OUTDIR/digits.csv"
    cp "$SCHEMAS/digits.json" "$OUTDIR/digits.schema.json.tmp"
    mv "$OUTDIR/digits.schema.json.tmp" "$OUTDIR/digits.schema.json"
    check digits 1797 65
}

# fashion-mnist: train (60000) and test (10000) from the IDX files; the schema
# is written by the importer from the format, so there is no committed one.
import_fashion_mnist() {
    local part img lab rows
    for part in train test; do
        if [ $part = train ]; then img=train-images-idx3-ubyte.gz lab=train-labels-idx1-ubyte.gz rows=60000
        else img=t10k-images-idx3-ubyte.gz lab=t10k-labels-idx1-ubyte.gz rows=10000; fi
        [ -f "$FMDATA/$img" ] && [ -f "$FMDATA/$lab" ] || die "fashion-mnist: $FMDATA/$img or $lab not found in the unpacked dataset-fashion-mnist"
        say "fashion-mnist: privaudit data import-idx $img $lab --name fashion-mnist-$part --out $OUTDIR"
        "$PRIVAUDIT" data import-idx "$FMDATA/$img" "$FMDATA/$lab" --name "fashion-mnist-$part" --classes 10 \
            --out "$OUTDIR" || die "fashion-mnist: import of $part failed"
        check "fashion-mnist-$part" "$rows" 785
    done
}

for name in "${NAMES[@]}"; do
    read -r pkg object rows cols <<<"$(spec "$name")"
    fetch_deb "$pkg"
    if [ "$name" = digits ]; then
        import_digits
    elif [ "$name" = fashion-mnist ]; then
        import_fashion_mnist
    else
        import_rda "$name" "$object" "$rows" "$cols"
    fi
done
say "done: ${NAMES[*]} in $OUTDIR"
