using System.Collections.Concurrent;
using Kmrl.DocumentApi.Ports;

namespace Kmrl.DocumentApi.Tests.Fakes;

public sealed class RecordingEvents : IDocumentEvents
{
    public ConcurrentQueue<(string Topic, object Event)> Published { get; } = new();

    public IReadOnlyList<T> On<T>(string topic) => Published.Where(p => p.Topic == topic).Select(p => p.Event).OfType<T>().ToList();

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        Published.Enqueue((topic, integrationEvent));
        return Task.CompletedTask;
    }
}
