# Sourced by scripts/bench.sh and scripts/bench-ab.sh: the benchmark's corpora in $DIR, made
# with the fixture generator $FG when missing or of another size than asked: json.log,
# zisk.log and full.log of $SIZE each, and cluster/ (1 coordinator + 64 workers) of
# $CLUSTER_SIZE. Each has a .meta beside it (the generator's summary and the size asked).

corpus() { # format file
    local meta=$2.meta
    if [[ ! -s $2 || ! -s $meta ]] || [[ $(jq -r .size "$meta" 2>/dev/null) != "$SIZE" ]]; then
        echo "== generating $SIZE of $1 into $2" >&2
        "$FG" corpus --format "$1" --bytes "$SIZE" --out "$2" | jq -c --arg s "$SIZE" '. + {size: $s}' >"$meta"
    fi
}

make_corpora() {
    corpus json "$DIR/json.log"
    corpus zisk "$DIR/zisk.log"
    corpus full "$DIR/full.log"
    local cl=$DIR/cluster
    if [[ ! -s $cl.meta ]] || [[ $(jq -r .size "$cl.meta") != "$CLUSTER_SIZE" ]]; then
        echo "== generating a $CLUSTER_SIZE cluster (1 coordinator + 64 workers) into $cl" >&2
        rm -rf "$cl"
        "$FG" corpus --cluster --workers 64 --bytes "$CLUSTER_SIZE" --out "$cl" |
            jq -c --arg s "$CLUSTER_SIZE" '. + {size: $s}' >"$cl.meta"
    fi
}
