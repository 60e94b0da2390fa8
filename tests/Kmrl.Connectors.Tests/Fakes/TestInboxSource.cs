using System.Collections.Concurrent;
using System.Text;

namespace Kmrl.Connectors.Tests.Fakes;

/// <summary>What a test webhook leaves in the inbox.</summary>
/// <param name="FailOpens">Opens that fail (with an IOException) before one succeeds; -1: every open fails.</param>
/// <param name="Unreadable">When set, the source reports the item as unreadable with this reason.</param>
internal sealed record TestInboxItem(string FileName, string Text, int FailOpens = 0, string? Unreadable = null);

/// <summary>A push source over <see cref="TestInboxItem"/>s; counts the opens per item.</summary>
internal sealed class TestInboxSource(string name = TestInboxSource.DefaultName) : IInboxSource<TestInboxItem>
{
    public const string DefaultName = "hook";

    public string Name => name;

    public ConcurrentDictionary<string, int> Opens { get; } = new(StringComparer.Ordinal);

    public SourceChange Read(InboxItem<TestInboxItem> item)
    {
        var value = item.Item;
        if (value.Unreadable is { } reason)
        {
            return new SourceUnreadable(item.Id, reason, 0, new Dictionary<string, string>());
        }
        return new SourceDocument(item.Id, value.FileName, "text/plain", null, new Dictionary<string, string>(), _ =>
        {
            var open = Opens.AddOrUpdate(item.Id, 1, (_, count) => count + 1);
            return value.FailOpens < 0 || open <= value.FailOpens
                ? throw new IOException($"open {open} of {item.Id} failed")
                : Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(value.Text)));
        });
    }
}
