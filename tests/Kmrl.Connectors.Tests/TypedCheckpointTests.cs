using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Tests;

/// <summary>The typed checkpoint helper: one policy for a value that cannot be read back (logged, start over).</summary>
public sealed class TypedCheckpointTests
{
    private sealed record Cursor(string Link, DateTimeOffset? ChangedAt, IReadOnlyList<string> Seen, int? Page = null);

    private sealed record Named([property: JsonPropertyName("uv")] uint UidValidity, [property: JsonPropertyName("uid")] uint LastUid);

    [Fact]
    public void A_record_reads_back_as_it_was_written_nulls_included()
    {
        var written = new Cursor("https://graph/delta?token=1", null, ["a", "b"]);
        var log = new WarningLog();

        var read = Checkpoints.Read<Cursor>(Checkpoints.Of(written).Value, log);

        Assert.Equal(written.Link, read!.Link);
        Assert.Null(read.ChangedAt);
        Assert.Equal(["a", "b"], read.Seen);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void No_checkpoint_is_a_first_run_and_not_a_warning()
    {
        var log = new WarningLog();

        Assert.Null(Checkpoints.Read<Cursor>(null, log));
        Assert.Null(Checkpoints.Read<Cursor>(" ", log));
        Assert.Empty(log.Warnings);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("""{"link":"x","changedAt":null}""")]
    [InlineData("""{"link":"x","changedAt":null,"seen":null}""")]
    [InlineData("""{"link":null,"changedAt":null,"seen":[]}""")]
    public void An_unreadable_or_half_readable_checkpoint_is_logged_and_the_source_starts_over(string stored)
    {
        var log = new WarningLog();

        Assert.Null(Checkpoints.Read<Cursor>(stored, log));
        Assert.Contains(log.Warnings, w => w.Contains("not a readable Cursor", StringComparison.Ordinal));
    }

    [Fact]
    public void A_record_written_with_other_casing_or_its_own_property_names_still_reads()
    {
        var log = new WarningLog();

        Assert.Equal("x", Checkpoints.Read<Cursor>("""{"Link":"x","ChangedAt":null,"Seen":[]}""", log)!.Link);
        Assert.Equal(7u, Checkpoints.Read<Named>("""{"uv":7,"uid":3}""", log)!.UidValidity);
        Assert.Contains("\"uv\":7", Checkpoints.Of(new Named(7, 3)).Value, StringComparison.Ordinal);
        Assert.Empty(log.Warnings);
    }

    private sealed class WarningLog : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
