using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using CoreHistoryEvent = DurableTask.Core.History.HistoryEvent;
using DaprHistoryEvent = Dapr.DurableTask.Protobuf.HistoryEvent;

namespace Kmrl.Dapr.Testing.Workflow;

/// <summary>
/// The committed history of each workflow instance, as daprd keeps it in the actor state store and answers it from
/// GetInstanceHistory (1.17+: the instance's history events, not its inbox). The in-memory engine holds history but
/// does not expose it, so the orchestration service records a copy each time a step is committed.
/// </summary>
internal sealed class WorkflowHistories
{
    private readonly ConcurrentDictionary<string, CoreHistoryEvent[]> _byInstance = new(StringComparer.Ordinal);

    public void Record(string instanceId, IEnumerable<CoreHistoryEvent> events) => _byInstance[instanceId] = [.. events];

    public void Forget(string instanceId) => _byInstance.TryRemove(instanceId, out _);

    /// <summary>The history in Dapr's messages; null when nothing was committed for that id.</summary>
    public IReadOnlyList<DaprHistoryEvent>? Get(string instanceId) =>
        _byInstance.TryGetValue(instanceId, out var events)
            // Microsoft's and Dapr's HistoryEvent share their field numbers (both forks of durabletask-protobuf),
            // so the engine's own conversion is re-read as Dapr's message, the way requests are translated.
            ? events.Select(e => DaprHistoryEvent.Parser.ParseFrom(ProtobufUtils.ToHistoryEventProto(e).ToByteArray())).ToList()
            : null;
}
