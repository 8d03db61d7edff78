#!/usr/bin/env python3
"""Runs RowAB's timing in several processes with placed arrays (--place) and summarises each cell.

Memory-bound cells move by 5-40% from process to process even side by side in one process: where the allocator puts x,
y and γ modulo 4 KiB (which --place fixes) and what each process gets besides (physical pages, code placement), which it
does not. So a cell's verdict against the baseline is the geometric mean of its ratios over every placement of every
process, with the spread of the per-process means beside it.

Usage (after building bench/NormGen.RowAB in Release):
  python3 bench/NormGen.RowAB/placed.py [--processes 3] [--log FILE] -- --cases RmsF:78125x64,LnF:4096x1024 \\
      --place 16/16,16/2064,0/2048,48/3120 [other RowAB timing options]
Prints, per cell: the geometric mean of new / baseline over placements and processes, each process's mean, the largest
single ratio, and "<<" where the mean passes 1.03 (issue 8's bar).
"""
import math
import os
import re
import subprocess
import sys
from collections import OrderedDict

here = os.path.dirname(os.path.abspath(__file__))
dll = os.path.join(here, "bin", "Release", "net10.0", "NormGen.RowAB.dll")
args = sys.argv[1:]
processes, log = 3, None
while args and args[0] != "--":
    if args[0] == "--processes":
        processes = int(args[1]); args = args[2:]
    elif args[0] == "--log":
        log = args[1]; args = args[2:]
    else:
        sys.exit(f"unknown option {args[0]} (RowAB's options go after --)")
rowab = args[1:] if args else []
line = re.compile(r"^(\S+)\s+(\d+×\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+at (\S+)")
cells = OrderedDict()  # cell -> list per process of list of ratios
out = open(log, "w") if log else None
for p in range(processes):
    text = subprocess.run(["dotnet", dll, "--no-check", "--time", "--cpu"] + rowab, capture_output=True, text=True).stdout
    if out:
        out.write(f"# process {p + 1}\n{text}")
    for l in text.splitlines():
        m = line.match(l)
        if m:
            per = cells.setdefault(f"{m[1]} {m[2]}", [[] for _ in range(processes)])
            per[p].append(float(m[5]))


def geo(values):
    return math.exp(sum(map(math.log, values)) / len(values))


print(f"{'cell':24} {'mean':>6}  {'per process':<24} {'worst':>6}")
means = []
for cell, per in cells.items():
    everything = [r for ratios in per for r in ratios]
    if not everything:
        continue
    g = geo(everything)
    means.append(g)
    spread = " ".join(f"{geo(r):.3f}" for r in per if r)
    print(f"{cell:24} {g:6.3f}  {spread:<24} {max(everything):6.3f}{'  <<' if g > 1.03 else ''}")
if means:
    print(f"{len(means)} cells, geometric mean of the cells' means {geo(means):.3f}")
