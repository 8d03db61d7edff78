#!/bin/sh
# Lists the Tier-1 code of BatchNorm training's per-channel statistics (BlockEngine.Channels512 and the loops it may
# inline, ChannelShiftedSum512 and ChannelDeviations512) and of TensorBlocks.LargerBlocks, one line per compiled method:
# its size in bytes and the calls left in it. A ShiftedLanes512 or DeviationLanes512 call there means the block's lanes
# come back through memory: left to dynamic PGO, they were inlined only where the first shape to reach Tier 1 ran, and
# BatchNorm training double 3×16×7×7 read 1.07–1.23× eba5bfa after 8×64×28×28 (docs/architecture.md). The shapes run
# in TensorAB's order, so the first trains the code. Deterministic, unlike timing on a loud machine; about 30 s.
# Usage: bench/NormGen.TensorAB/tier1-calls.sh [TEXT]   (after dotnet build -c Release of NormGen.TensorAB; TEXT as
# TensorAB's --only, default "BatchNorm train double")
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp)"
DOTNET_JitDisasm="Channels512 ChannelShiftedSum512 ChannelDeviations512 LargerBlocks" DOTNET_JitStdOutFile="$out" \
    dotnet "$here/bin/Release/net10.0/NormGen.TensorAB.dll" --no-check --cpu --batch-ms 5 --rounds 3 --only "${1:-BatchNorm train double}" > /dev/null
python3 - "$out" <<'PY'
import re, sys
for block in open(sys.argv[1]).read().split('; Assembly listing for method ')[1:]:
    head = block.split('\n')[0]
    if '(Tier1' not in head:
        continue
    name = re.sub(r'NormGen\.Tests\.<\w+_Tensors_(\w+?)_[0-9a-f]{8}_g>\w+?\+Spec', r'\1', head.split('(')[0])
    size = re.search(r'; Total bytes of code (\d+)', block).group(1)
    calls = sorted({c.split('(')[0].split('[')[0] for c in re.findall(r'call\s+\[([^\]]*)', block)
                    if not re.search(r'Huge|Scalar|PanelOps(128|256)|CopiedChannels|BlocksPerL1Set', c)})
    print(f"{name:70} {size:>5} bytes  calls: {', '.join(calls) or '-'}")
PY
rm -f "$out"
