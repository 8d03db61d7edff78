#!/bin/sh
# Builds the generator of a baseline commit into baseline-gen/ (git-ignored), which NormGen.RowAB.Baseline uses as its
# analyzer. Usage: bench/NormGen.RowAB/baseline.sh <commit>   (e.g. eba5bfa, the last commit before the row engine)
set -eu
ref="${1:?usage: baseline.sh <commit>}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
tmp="$(mktemp -d)"
git -C "$root" archive "$ref" Directory.Build.props src/NormGen src/NormGen.Runtime/Shared | tar -x -C "$tmp"
rm -rf "$here/baseline-gen"
dotnet build "$tmp/src/NormGen/NormGen.csproj" -c Release -o "$here/baseline-gen" -nologo -v q
rm -rf "$tmp"
# The baseline's own activations (its generated kernels call NormGen.Activations): compiled into the Baseline project,
# they take precedence over the runtime's (CS0436), so the baseline keeps its exponential (the BCL's, at eba5bfa).
git -C "$root" show "$ref:src/NormGen.Runtime/Activations.cs" | sed 's/public static class Activations/internal static class Activations/' > "$here/baseline-gen/Activations.cs"
ls "$here/baseline-gen/NormGen.dll" "$here/baseline-gen/Activations.cs"
