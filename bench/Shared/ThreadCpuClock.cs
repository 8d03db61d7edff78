using System.Runtime.InteropServices;

namespace NormGen.Bench;

/// <summary>
/// This thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID), for the A/B tools' <c>--cpu</c> (RowAB, TensorAB): on a
/// machine shared with other builds it leaves out the time the thread waits for a core, the bulk of the noise of
/// wall-clock rounds there.
/// </summary>
internal static class ThreadCpuClock
{
    /// <summary>The CPU time this thread has used, in µs.</summary>
    public static double Microseconds()
    {
        ClockGetTime(3, out Timespec t);
        return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);
}
