#!/usr/bin/env bash
# Refactor guard: builds the repository site and the bench's 1,000-topic corpus with a given
# `bilat` binary and records the sha256 of every file each build wrote, so that a change meant to
# keep the output can show that it did (`diff` two runs' files).
#
#   benches/hash-outputs.sh BILAT CORPUS_GENERATOR OUT_DIR [TOPICS]
#
# BILAT is the binary under test, CORPUS_GENERATOR the `bilat-corpus` binary, OUT_DIR receives
# site.sha256 and corpus.sha256 (and the built outputs under OUT_DIR/work). Run from the
# repository root.
set -euo pipefail
bilat=$(realpath "$1")
generator=$(realpath "$2")
out=$(realpath -m "$3")
topics=${4:-1000}
repo=$(pwd)
work="$out/work"
rm -rf "$work"
mkdir -p "$work"

hashes() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }

# The repository site, built from a copy so that the checkout's public/ is never touched.
mkdir -p "$work/site"
# layouts/ and assets/ hold the site's overrides of the built-in theme, if it has any.
for part in site.yaml content layouts assets; do
  if [ -e "$part" ]; then cp -a "$part" "$work/site/"; fi
done
"$bilat" build --root "$work/site" --output "$work/site-public" >/dev/null
hashes "$work/site-public" >"$out/site.sha256"

# The bench corpus: deterministic, with the built-in theme and the repository's own layouts.
"$generator" "$topics" "$work/corpus" --layouts-from "$repo" >/dev/null
"$bilat" build --root "$work/corpus" --output "$work/corpus-public" >/dev/null
hashes "$work/corpus-public" >"$out/corpus.sha256"

echo "site: $(wc -l <"$out/site.sha256") files, corpus: $(wc -l <"$out/corpus.sha256") files -> $out"
