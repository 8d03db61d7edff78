#!/bin/sh
# Bitwise check of a change to the runtime or the generator against the baselines (bench/NormGen.RowAB/baseline.sh and
# bench/NormGen.TensorAB/baseline.sh must have been run once, e.g. with eba5bfa): RowAB and TensorAB on the four ISA
# paths (AVX-512, AVX2, 128-bit, scalar), RowAB through the cross-row pipeline, then tier1-calls.sh. Prints one line
# per run with its "equal" count. About 6 minutes on 2 cores. Usage: bench/bits.sh [LOG-DIRECTORY]
set -u
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
log="${1:-$(mktemp -d)}"; mkdir -p "$log"
cd "$root"
dotnet build bench/NormGen.RowAB -c Release -nologo -v q > "$log/build.txt" 2>&1 || { echo "RowAB build failed: $log/build.txt"; exit 1; }
dotnet build bench/NormGen.TensorAB -c Release -nologo -v q >> "$log/build.txt" 2>&1 || { echo "TensorAB build failed: $log/build.txt"; exit 1; }
row=bench/NormGen.RowAB/bin/Release/net10.0/NormGen.RowAB.dll
tensor=bench/NormGen.TensorAB/bin/Release/net10.0/NormGen.TensorAB.dll
for isa in avx512 avx2 sse scalar; do
  case $isa in
    avx512) env="";; avx2) env="DOTNET_EnableAVX512=0";; sse) env="DOTNET_EnableAVX2=0";; scalar) env="DOTNET_EnableHWIntrinsic=0";;
  esac
  env $env dotnet "$row" > "$log/rowab-$isa.txt" 2>&1; echo "RowAB $isa (rc $?): $(grep -i 'equal' "$log/rowab-$isa.txt" | tail -1)"
  env $env dotnet "$tensor" --only "(no timing)" > "$log/tensorab-$isa.txt" 2>&1; echo "TensorAB $isa (rc $?): $(grep -i 'equal' "$log/tensorab-$isa.txt" | tail -1)"
done
dotnet "$row" --pipeline 2 > "$log/rowab-pipeline.txt" 2>&1; echo "RowAB --pipeline 2 (rc $?): $(grep -i 'equal' "$log/rowab-pipeline.txt" | tail -1)"
sh bench/NormGen.RowAB/tier1-calls.sh > "$log/tier1-calls.txt" 2>&1; echo "tier1-calls: $log/tier1-calls.txt"
echo "logs: $log"
