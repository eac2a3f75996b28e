#!/usr/bin/env bash
# Regenerates the compressed variants of the golden files with the standard tools
# (gzip, zstd, bzip2, xz, lz4, brotli, python's zlib). The plain files are written by
# hand; run this after changing one. Output is committed.
set -euo pipefail
cd "$(dirname "$0")"
for f in people.csv people.jsonl people.json; do
  gzip -9 -n -c "$f" > "$f.gz"
  zstd -q -19 -f -o "$f.zst" "$f"
  bzip2 -9 -c "$f" > "$f.bz2"
  xz -9 -c "$f" > "$f.xz"
  xz --format=lzma -c "$f" > "$f.lzma"
  lz4 -q -f "$f" "$f.lz4"
  brotli -f -o "$f.br" "$f"
  python3 -c "import sys,zlib; d=open(sys.argv[1],'rb').read(); open(sys.argv[1]+'.zz','wb').write(zlib.compress(d,9)); c=zlib.compressobj(9,zlib.DEFLATED,-15); open(sys.argv[1]+'.deflate','wb').write(c.compress(d)+c.flush())" "$f"
done
rm -f people.csv.zip && zip -q -X people.csv.zip people.csv
# Two gzip members back to back: a reader that stops after the first loses rows 4-5.
python3 - <<'PY'
import gzip
data = open("people.csv", "rb").read()
cut = data.index(b"\r\n4,") + 2
with open("people_multimember.csv.gz", "wb") as out:
    out.write(gzip.compress(data[:cut], mtime=0))
    out.write(gzip.compress(data[cut:], mtime=0))
PY
# A gzip file whose name does not say so.
cp people.csv.gz people_gzip_named.csv
