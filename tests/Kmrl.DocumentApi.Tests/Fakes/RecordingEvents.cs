using System.Collections.Concurrent;
using Kmrl.BuildingBlocks.PubSub;

namespace Kmrl.DocumentApi.Tests.Fakes;

public sealed class RecordingEvents : IEventPublisher
{
    public ConcurrentQueue<(string Topic, object Event)> Published { get; } = new();

    public IReadOnlyList<T> On<T>(string topic) => Published.Where(p => p.Topic == topic).Select(p => p.Event).OfType<T>().ToList();

    /// <summary>The next publish fails, as a publish does when the broker is down and daprd's retries give up.</summary>
    public bool FailNext { get; set; }

    public Task PublishAsync<TEvent>(string topic, TEvent integrationEvent, CancellationToken cancellationToken) where TEvent : class
    {
        if (FailNext)
        {
            FailNext = false;
            throw new InvalidOperationException("pub/sub is not reachable (test)");
        }
        Published.Enqueue((topic, integrationEvent));
        return Task.CompletedTask;
    }
}
