#!/bin/sh
# Writes baseline/: the TensorKinds driver snapshots (float and double) of a baseline commit, as compilable code in
# namespace Baseline. Usage: bench/NormGen.TensorAB/baseline.sh <commit>   (e.g. the commit before the runtime move)
set -eu
ref="${1:?usage: baseline.sh <commit>}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
rm -rf "$here/baseline" && mkdir -p "$here/baseline"
git -C "$root" ls-tree --name-only "$ref" tests/NormGen.Generator.Tests/Snapshots/ | grep 'DriverTests.TensorKinds#' | grep -v 'Half\.' |
while read -r path; do
  name="$(basename "$path" | sed 's/.*Tensors\.\([A-Za-z]*\)\..*/\1/')"
  git -C "$root" show "$ref:$path" | sed -e 's/^namespace NormGen\.Tests$/namespace Baseline/' -e 's/static partial void/static void/' > "$here/baseline/$name.cs"
done
ls "$here/baseline"
