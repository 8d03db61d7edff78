#!/bin/sh
# The full side-by-side measurement of a session's end, for a quiet machine (nothing else running; about 17 minutes
# on 2 cores): RowAB against the baseline kernels (wall, then thread CPU, then placed: four placements of x, y and γ
# modulo 4 KiB in each of two processes, bench/NormGen.RowAB/placed.py, the verdict for memory-bound cells), TensorAB (wall, then thread CPU with 5 ms batches),
# RowCall's one-row calls through function pointers, issue 11's table, the 1×768 latency, the cross-row pipeline A/B,
# the cost growth of the short rows and the generated size. Build first:
#   dotnet build bench/NormGen.RowAB -c Release; dotnet build bench/NormGen.TensorAB -c Release; dotnet build bench/NormGen.RowCall -c Release
#   dotnet build bench/NormGen.Benchmarks -c Release; dotnet build bench/NormGen.GenSize -c Release
# Usage: bench/quiet.sh [LOG-DIRECTORY]   (each part's output in its own file there; uptime before each part)
set -u
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
log="${1:-$(mktemp -d)}"; mkdir -p "$log"
cd "$root"
bench="dotnet bench/NormGen.Benchmarks/bin/Release/net10.0/NormGen.Benchmarks.dll"
part() { name="$1"; shift; echo "$(date -u +%H:%M:%S) $name ($(uptime | sed 's/.*load/load/'))"; "$@" > "$log/$name.txt" 2>&1; }
part rowab-wall dotnet bench/NormGen.RowAB/bin/Release/net10.0/NormGen.RowAB.dll --no-check --time --rounds 21
part rowab-cpu dotnet bench/NormGen.RowAB/bin/Release/net10.0/NormGen.RowAB.dll --no-check --time --cpu --rounds 21
part rowab-placed python3 bench/NormGen.RowAB/placed.py --processes 2 -- --rounds 7 --place 16/16,16/2064,0/2048,48/3120
part tensorab-1 dotnet bench/NormGen.TensorAB/bin/Release/net10.0/NormGen.TensorAB.dll --no-check --rounds 21
part rowcall dotnet bench/NormGen.RowCall/bin/Release/net10.0/NormGen.RowCall.dll --rounds 21
part table $bench table
part latency $bench latency
part pipeline-ab $bench table --only rows --pipeline-ab --cpu
part growth $bench growth --only 10x64,1000x64,1000x128,1000x512
part tensorab-cpu dotnet bench/NormGen.TensorAB/bin/Release/net10.0/NormGen.TensorAB.dll --no-check --cpu --batch-ms 5 --rounds 21
part gensize dotnet bench/NormGen.GenSize/bin/Release/net10.0/NormGen.GenSize.dll --ilgpu
echo "$(date -u +%H:%M:%S) done; logs: $log"
