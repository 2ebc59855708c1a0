#!/bin/sh
# CPU seconds of each catalog step through the binary, one run (issue 20,
# item 7: answering an N-element query against publishing N entries):
#
#     cargo build --release && sh benches/catalog_cpu.sh target/release/cosect 65536
#
# The publisher publishes N domains; the client queries N domains (one in
# ten in the catalog); the publisher answers; the client finishes. Each step
# runs under /usr/bin/time with 2 rayon threads. Quote `cosect --version`
# (the backend) and `uptime` with the figures. N is at most 1,000,000 (the
# default --max-query-items).
set -e
B=$1; N=$2
[ -x "$B" ] && [ -n "$N" ] || { echo "usage: $0 COSECT-BINARY N" >&2; exit 2; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
export RAYON_NUM_THREADS=2
for w in alice bob; do "$B" -q keygen -o "$D/$w.id" --name $w > "$D/$w.pub"; done
seq 1 "$N" | awk '{ print "pub-" $1 ".example.com" }' > "$D/alice.txt"
seq 1 "$N" | awk '{ if (NR % 10 == 0) print "pub-" $1 ".example.com"; else print "qry-" $1 ".example.net" }' > "$D/bob.txt"
t() {
    name=$1; shift
    /usr/bin/time -o "$D/t" -f "%U %S %e" "$@"
    awk -v n="$name" '{ printf "%-8s cpu %.2f s (user %.2f sys %.2f) wall %.2f s\n", n, $1 + $2, $1, $2, $3 }' "$D/t"
}
"$B" --version
uptime
t publish "$B" -q publish -i "$D/alice.id" --state-dir "$D/sa" --input "$D/alice.txt" --kind domain -o "$D/cat.cbor"
t init "$B" -q init -i "$D/bob.id" --state-dir "$D/sb" --catalog "$D/cat.cbor" --peer "$D/alice.pub" \
    --input "$D/bob.txt" -o "$D/query.cbor"
t respond "$B" -q respond "$D/query.cbor" -i "$D/alice.id" --state-dir "$D/sa" --peer "$D/bob.pub" -o "$D/answer.cbor"
t finish "$B" -q finish "$D/answer.cbor" -i "$D/bob.id" --state-dir "$D/sb" -o "$D/matches.txt"
echo "found $(wc -l < "$D/matches.txt") of $((N / 10))"
