using Kmrl.Connectors.Sync;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;

namespace Kmrl.Connectors.Tests;

public sealed class ResilienceTests
{
    private static TestClock NewClock() => new();

    private static Dictionary<string, string?> TimingSettings() => new()
    {
        ["Connector:RetryBaseDelay"] = "00:00:10",
        ["Connector:RetryMaxDelay"] = "00:05:00",
    };

    [Fact]
    public async Task Transient_listing_errors_are_retried_with_exponential_backoff_and_jitter()
    {
        var clock = NewClock();
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 2);
        source.OnRead = call =>
        {
            if (call <= 2)
            {
                throw new HttpRequestException("connection reset");
            }
        };
        await using var host = TestHost.Create(ports, clock, TimingSettings(), source);

        var run = host.Runner.RunAsync(source, CancellationToken.None);
        await Eventually.TrueAsync(() => source.ReadCalls == 1, "the first read");

        // Attempt 1 waits between 5 s and 10 s (base 10 s, equal jitter); attempt 2 between 10 s and 20 s.
        var first = await clock.WaitingAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), "the first backoff");
        clock.Advance(first - TimeSpan.FromMilliseconds(1));
        await Eventually.StillTrueAsync(() => source.ReadCalls == 1, "no retry before the backoff ends");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => source.ReadCalls == 2, "the retry when the backoff ends");

        var second = await clock.WaitingAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), "the second, doubled backoff");
        clock.Advance(second - TimeSpan.FromMilliseconds(1));
        await Eventually.StillTrueAsync(() => source.ReadCalls == 2, "no second retry before the backoff ends");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, source.ReadCalls);
        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(2, ports.Publisher.Of<DocumentDiscovered>().Count);
    }

    [Fact]
    public void Backoff_doubles_per_attempt_up_to_the_maximum_and_jitter_stays_within_half_of_it()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Hosting.ConnectorHostOptions
        {
            RetryBaseDelay = TimeSpan.FromSeconds(1),
            RetryMaxDelay = TimeSpan.FromSeconds(30),
        });
        var backoff = new RetryBackoff(options);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(a => backoff.Nominal(a, TimeSpan.FromSeconds(30)).TotalSeconds));
        for (var attempt = 1; attempt <= 7; attempt++)
        {
            var nominal = backoff.Nominal(attempt, TimeSpan.FromSeconds(30));
            var delays = Enumerable.Range(0, 200).Select(_ => backoff.DelayFor(attempt)).ToList();
            Assert.All(delays, d => Assert.InRange(d, nominal / 2, nominal));
            Assert.True(delays.Distinct().Count() > 1, "jitter varies the delay");
        }
    }

    [Fact]
    public async Task Retry_after_from_a_throttled_source_is_honoured_instead_of_backoff()
    {
        var clock = NewClock();
        var ports = new ConnectorPorts(clock);
        var item = TestItem.Text("a", "x") with
        {
            OnOpen = attempt =>
            {
                if (attempt == 1)
                {
                    throw new SourceThrottledException(TimeSpan.FromSeconds(30));
                }
            },
        };
        var source = new TestSource("inbox", [item]);
        await using var host = TestHost.Create(ports, clock, TimingSettings(), source);

        var run = host.Runner.RunAsync(source, CancellationToken.None);
        await Eventually.TrueAsync(() => source.Opens.GetValueOrDefault("a") == 1, "the first open");
        await clock.WaitingAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), "a wait of exactly Retry-After");
        clock.Advance(TimeSpan.FromSeconds(29.9));
        await Eventually.StillTrueAsync(() => source.Opens.GetValueOrDefault("a") == 1, "no retry before Retry-After");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, source.Opens["a"]);
        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
    }

    [Fact]
    public async Task The_token_bucket_limits_source_calls_per_period()
    {
        var clock = NewClock();
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 5);
        var settings = new Dictionary<string, string?>
        {
            ["Connector:RateLimit:TokenLimit"] = "3",
            ["Connector:RateLimit:TokensPerPeriod"] = "1",
            ["Connector:RateLimit:ReplenishmentPeriod"] = "00:00:01",
        };
        await using var host = TestHost.Create(ports, clock, settings, source);
        int Opened() => source.Opens.Values.Sum();

        var run = host.Runner.RunAsync(source, CancellationToken.None);
        // Three tokens: one for the listing, two for the first two downloads.
        await Eventually.TrueAsync(() => Opened() == 2, "two documents opened on the initial tokens");
        await Eventually.StillTrueAsync(() => Opened() == 2, "the third waits for a token");
        for (var expected = 3; expected <= 5; expected++)
        {
            var wait = await clock.WaitingAsync(TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1), "waiting for the next token");
            Assert.Equal(TimeSpan.FromSeconds(1), wait);
            clock.Advance(TimeSpan.FromMilliseconds(999));
            await Eventually.StillTrueAsync(() => Opened() == expected - 1, "no token before the period ends", 50);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.TrueAsync(() => Opened() == expected, $"document {expected} opened after one more period");
        }
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(5, ports.Publisher.Of<DocumentDiscovered>().Count);
    }

    [Fact]
    public async Task A_document_that_keeps_failing_is_dead_lettered_and_the_run_continues()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var broken = TestItem.Text("b", "never readable") with { OnOpen = _ => throw new IOException("attachment stream broken") };
        var source = new TestSource("inbox", [TestItem.Text("a", "fine"), broken, TestItem.Text("c", "fine too")]);
        await using var host = TestHost.Create(ports, clock, new Dictionary<string, string?> { ["Connector:MaxDocumentAttempts"] = "4" }, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        Assert.Equal(1, result.Counts.DeadLettered);
        Assert.Equal(4, source.Opens["b"]);
        var deadLetter = Assert.Single(ports.SkippedItems.DeadLetters);
        Assert.Equal(("b", 4), (deadLetter.SourceId, deadLetter.Attempts));
        Assert.Contains("attachment stream broken", deadLetter.Reason);
        Assert.Equal(["inbox/a", "inbox/c"], ports.Publisher.Of<DocumentDiscovered>().Select(e => e.SourceId));
        Assert.Equal("3", ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));

        // Dead-lettered means moved past: the next run does not try it again.
        var next = await host.Runner.RunAsync(source, CancellationToken.None);
        Assert.Equal(4, source.Opens["b"]);
        Assert.Equal(0, next.Counts.DeadLettered);
    }

    [Fact]
    public async Task A_stream_that_breaks_midway_is_retried_from_a_fresh_open_and_the_partial_blob_is_deleted()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var content = new byte[20_000];
        Random.Shared.NextBytes(content);
        var opens = 0;
        var flaky = new TestItem("big", "big.pdf", () => ++opens == 1 ? new BreakingStream(content, 10_000) : new MemoryStream(content), "application/pdf");
        var source = new TestSource("inbox", [flaky]);
        await using var host = TestHost.Create(ports, clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Completed, result.Outcome);
        var discovered = Assert.Single(ports.Publisher.Of<DocumentDiscovered>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), discovered.Sha256);
        Assert.Equal(20_000, discovered.Size);
        Assert.True(ports.Blobs.Deletes > 0, "the chunks of the broken attempt were deleted");
        Assert.Equal(discovered.Blob.ChunkCount + 1, ports.Blobs.Names.Count);
    }

    [Fact]
    public async Task A_non_transient_listing_error_fails_the_run_and_leaves_the_checkpoint()
    {
        var clock = TimeProvider.System;
        var ports = new ConnectorPorts(clock);
        var source = TestSource.WithTextItems("inbox", 2);
        source.OnRead = _ => throw new UnauthorizedAccessException("credentials revoked");
        await using var host = TestHost.Create(ports, clock, null, source);

        var result = await host.Runner.RunAsync(source, CancellationToken.None);

        Assert.Equal(SyncOutcome.Failed, result.Outcome);
        Assert.Equal(1, source.ReadCalls);
        Assert.Contains("credentials revoked", result.Error);
        Assert.Null(ports.Checkpoints.ValueOf(TestHost.Connector, "inbox"));
    }

    private sealed class BreakingStream(byte[] content, int breakAt) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= breakAt ? throw new IOException("connection dropped") : base.ReadAsync(buffer[..Math.Min(buffer.Length, breakAt - (int)Position)], cancellationToken);
    }
}
