#!/bin/sh
# Lists, per kernel, the Tier-1 code of the row engine's row method (RowEngine.VectorRows, one per declaration and
# vector width, and its one-row instance, "1 row", for the kernels the timing set calls with one row): its size in bytes
# and the calls left in it. A Load, Store, Output, get_Count or get_ResidualOut call there means the JIT ran out of
# inlining budget for that row method (inlinees under a condition false for the spec, such as if (TSpec.Residual), count
# too; CopyH and, in the activation kernels, ActivateInPlace are calls by design). Then the generated methods of this tree's kernels ("generated"): the calls left there other than the argument
# checks' throws, the row method and the engine's out-of-line paths (Large, OneRowOutOfLine, PlainLoop, ShortRows, PairedRows, AlignedParameterRows,
# RedoHugeOneRow, RedoHugeRow, ParallelDegree). Deterministic, unlike timing on a loud machine. Runs the timing set once (about a minute).
# Usage: bench/NormGen.RowAB/tier1-calls.sh   (after dotnet build -c Release of NormGen.RowAB)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp)"
DOTNET_JitDisasm="VectorRows NormGen.RowAB.K:*" DOTNET_JitStdOutFile="$out" \
    dotnet run --project "$here" -c Release --no-build -- --no-check --time --rounds 5 > /dev/null
python3 - "$out" <<'PY'
import re, sys
expected = ('Throw', 'CORINFO_HELP', 'Exception:.ctor', 'NormGen.RowEngine:Large',
            'NormGen.RowEngine:PlainLoop', 'NormGen.RowEngine:ShortRows', 'NormGen.RowEngine:PairedRows', 'NormGen.RowEngine:AlignedParameterRows',
            'NormGen.RowEngine:RedoHuge', 'NormGen.RowEngine:OneRowOutOfLine', 'NormGen.RowEngine:VectorRows', 'NormGen.RowEngine:ScalarRow', 'NormGen.RowEngine:Rows',
            'NormGen.RowEngine:Loop', 'RowScheduler:ParallelDegree')
generated = []
for block in open(sys.argv[1]).read().split('; Assembly listing for method ')[1:]:
    head = block.split('\n')[0]
    if not head.rstrip().endswith('(Tier1)'):
        continue
    if head.startswith('NormGen.RowAB.K:'):
        found = re.findall(r'call\s+\[?([^\]\n]*)', block)
        if not any('NormGen.RowEngine:' in m for m in found):
            continue  # eba5bfa's kernel
        name = head.split(':')[1].split('(')[0]
        size = re.search(r'; Total bytes of code (\d+)', block).group(1)
        left = sorted({re.sub(r'NormGen\.RowAB\.<[^>]*>\w+?____NormGen_\w+?_[0-9a-f]{8}', 'spec', m).split('](')[0].split('(')[0]
                       for m in found if not any(e in m for e in expected)})
        generated.append(f"{name:16} generated     {size:>5} bytes  other calls: {', '.join(left) or '-'}")
        continue
    kernel = re.search(r'K_(\w+?)_[0-9a-f]{8}_g', head).group(1)
    width = re.search(r'NormGen\.(Vec\d+)`1', head).group(1) + (' 1 row' if 'OneRow' in head else '')
    size = re.search(r'; Total bytes of code (\d+)', block).group(1)
    calls = sorted({re.sub(r'NormGen\.RowAB\.<[^>]*>\w+?____NormGen_\w+?_[0-9a-f]{8}', 'spec', m).split('](')[0].split('(')[0]
                    for m in re.findall(r'call\s+\[([^\]]*)', block)})
    print(f"{kernel:16} {width:13} {size:>5} bytes  calls: {', '.join(calls) or '-'}")
print('\n'.join(sorted(set(generated))))
PY
rm -f "$out"
