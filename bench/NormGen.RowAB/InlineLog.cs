using System;
using System.Diagnostics.Tracing;

namespace NormGen.RowAB;

/// <summary>
/// With ROWAB_INLINE_LOG set (a substring of the inlinee's name, such as "Exp"), prints the runtime's
/// MethodJitInliningFailed events (JitTracing keyword) whose inlinee name contains it: the method being compiled, the
/// inliner and the JIT's reason. The release JIT says why an inline failed only through these events.
/// </summary>
internal sealed class InlineLog : EventListener
{
    private static readonly string? Filter = Environment.GetEnvironmentVariable("ROWAB_INLINE_LOG");
    private static InlineLog? s_listener;

    public static void StartIfAsked()
    {
        if (!string.IsNullOrEmpty(Filter)) s_listener = new InlineLog();
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime" && !string.IsNullOrEmpty(Filter))
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1000);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("MethodJitInliningFailed") || e.Payload is null) return;
        string Field(string name) => e.PayloadNames!.IndexOf(name) is var i and >= 0 ? e.Payload![i]?.ToString() ?? "" : "";
        if (!Field("InlineeName").Contains(Filter!)) return;
        Console.Error.WriteLine($"INLINE-FAILED root={Field("MethodBeingCompiledNamespace")}::{Field("MethodBeingCompiledName")} " +
            $"inliner={Field("InlinerName")} inlinee={Field("InlineeNamespace")}::{Field("InlineeName")} reason={Field("FailReason")}");
    }
}
