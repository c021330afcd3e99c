#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_alignment_reader (clang, ASan + UBSan) in build-fuzz/,
# writes a seed corpus of small alignments in every format, and fuzzes for SECONDS seconds.
# Usage: scripts/fuzz.sh [SECONDS=300] [extra libFuzzer options...]
# Crashes, leaks and hangs are written to build-fuzz/fuzz-artifacts/; the grown corpus stays in
# build-fuzz/fuzz-corpus/ for the next run. See docs/formats.md, "Fuzzing".
set -euo pipefail

seconds=${1:-300}
shift || true
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build-fuzz

if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DPOTTSRBM_FUZZ=ON -DPOTTSRBM_TESTS=OFF -DPOTTSRBM_BENCH=OFF -DSeqAn3_DIR="$repo/fuzz/seqan3-shim"
fi
ninja -C "$build" -j2 fuzz_alignment_reader

seeds=$build/fuzz-seeds
corpus=$build/fuzz-corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$seeds" "$corpus" "$artifacts"

seed() { printf '%b' "$2" > "$seeds/$1"; }
seed fasta_one_line  '>seqA first\nACDEFGHIKL\n>seqB\nMNPQRSTVWY\n>seqC\nA-C-E-G-I-\n'
seed fasta_wrapped   '>seqA\nACDEF\nGHIKL\n>seqB\nMNPQR  \nSTVWY\n\n>seqC\nA-C-E\n-G-I-'
seed fasta_crlf      '>a\r\nACDE\r\n>b\r\nAC-E\r\n'
seed fasta_pgm       '>>S1\nACDE\n>> S2 x\nFGHI\n'
seed fasta_lower     '>a\nacdef\n>b\nac-ef\n'
seed fasta_dots      '>a\nACDEF\n>b\n..DE.\n'
seed fasta_ns        '>plain\nACDEFGH.\n>amb\nBZJXACD.\n>rare\nUOA*CDEx\n'
seed a2m_padded      '>s1\nACdeFG.H\n>s2 second\n-C..F-kL\n>s3\nWY..XB.*\n'
seed a3m             '>s1\nACdeFGH\n>s2 second\n-CF-kL\n>s3\nWYXB*\n'
seed a3m_colabfold   '#5\t1\n>101\nACDEF\n>seq2\nAC-kkEF\n'
seed stockholm_pfam  '# STOCKHOLM 1.0\n#=GF ID test\n#=GS s1 AC P1\n\ns1   ACd.EF\n#=GR s1 SS HH..EE\ns2   -C.kEF\ns3   WYa.-H\n#=GC SS_cons HH..EE\n\ns1   GHI.K\ns2   LMNa-\ns3   PQR.S\n//\n'
seed stockholm_rf    '# STOCKHOLM 1.0\ns1 ACd.EF\ns2 -C.kEF\n#=GC RF xxx.xx\n\ns1 GHI.K\ns2 LMNa-\n#=GC RF xxx.-\n//\n'
seed stockholm_seed  '# STOCKHOLM 1.0\ns1 AC.EF\ns2 A..EF\ns3 .CDE.\n//\n'
for name in fasta_wrapped a2m_padded a3m stockholm_pfam; do
  gzip -n -c "$seeds/$name" > "$seeds/$name.gz"
done
{ gzip -n -c "$seeds/fasta_one_line"; gzip -n -c "$seeds/fasta_pgm"; } > "$seeds/two_gzip_members.gz"

"$build/fuzz/fuzz_alignment_reader" "$corpus" "$seeds" \
  -dict="$repo/fuzz/alignment.dict" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
