#!/usr/bin/env python3
"""PyTorch eager baseline for bench/NormGen.GpuBench: layer_norm, rms_norm and the pre-norm residual RMSNorm
(h = x + residual; y = rms_norm(h)) forward at the same shapes.

rows x hidden = 16384 x {768, 1024, 4096, 8192, 16384}, float32 and float16, timed with CUDA events after warm-up.
Prints effective GB/s with the same byte count as the .NET benchmark: every tensor the fused operation moves, once
(x and y; for the residual form also residual and h; parameters once). Eager PyTorch runs the residual form as two
kernels (add, then rms_norm) and so moves h twice more than it is counted here: that is the cost fusion removes.
Next to it, the device's copy bandwidth measured in the same run (dst.copy_(src)).

Usage: python3 bench/gpu/torch_norm.py [--rows N] [--iterations N]
"""
import argparse

import torch
import torch.nn.functional as F

HIDDEN = [768, 1024, 4096, 8192, 16384]


def time_ms(fn, warmup, iterations):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iterations):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iterations


def add_rms_norm(x, residual, weight, hidden):
    """The pre-norm residual step as eager PyTorch writes it: the new residual stream h, and RMSNorm(h)."""
    h = x + residual
    return F.rms_norm(h, (hidden,), weight, 1e-6), h


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=16384)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("No CUDA device: this script times PyTorch on the GPU only.")

    device = torch.device("cuda")
    print(f"PyTorch {torch.__version__} eager on {torch.cuda.get_device_name(device)}")
    print(f"rows = {args.rows}, {args.warmup} warm-up + {args.iterations} timed calls per shape (CUDA events)")

    n = args.rows * HIDDEN[-1]
    src = torch.zeros(n, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), args.warmup, args.iterations)
    copy = 2 * src.numel() * src.element_size() / (ms * 1e-3) / 1e9
    del src, dst
    print(f"device copy bandwidth (read + write, {args.rows} x {HIDDEN[-1]} floats): {copy:.1f} GB/s")
    print()
    print(f"{'kernel':<11} {'dtype':<6} {'rows':>7} {'hidden':>7} {'time (us)':>11} {'GB/s':>9} {'% of copy':>10}")

    has_rms = hasattr(F, "rms_norm")
    for hidden in HIDDEN:
        for dtype, name in ((torch.float32, "float"), (torch.float16, "half")):
            x = torch.rand(args.rows, hidden, device=device, dtype=dtype) * 4 - 1.5
            gamma = torch.rand(hidden, device=device, dtype=dtype) + 0.5
            beta = torch.rand(hidden, device=device, dtype=dtype) - 0.5
            residual = torch.rand(args.rows, hidden, device=device, dtype=dtype) * 2 - 1
            cases = [("LayerNorm", 2, 2, lambda: F.layer_norm(x, (hidden,), gamma, beta, 1e-5))]
            if has_rms:
                cases.append(("RMSNorm", 1, 2, lambda: F.rms_norm(x, (hidden,), gamma, 1e-6)))
                cases.append(("AddRMSNorm", 1, 4, lambda: add_rms_norm(x, residual, gamma, hidden)))
            for kind, parameters, tensors, fn in cases:
                ms = time_ms(fn, args.warmup, args.iterations)
                nbytes = (tensors * args.rows * hidden + parameters * hidden) * x.element_size()
                gbs = nbytes / (ms * 1e-3) / 1e9
                print(f"{kind:<11} {name:<6} {args.rows:>7} {hidden:>7} {ms * 1e3:>11.1f} {gbs:>9.1f} {100 * gbs / copy:>9.1f}%")
            del x, residual, gamma, beta
    if not has_rms:
        print("torch.nn.functional.rms_norm is missing (PyTorch < 2.4): RMSNorm and AddRMSNorm rows skipped.")


if __name__ == "__main__":
    main()
