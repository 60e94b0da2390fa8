using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Tests.Fakes;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kmrl.Connectors.Tests;

/// <summary>
/// <c>GET /connector/dead-letters</c> and <c>POST /connector/dead-letters/{id}/replay</c>, shaped like document-api's:
/// operator key, ProblemDetails. An inbox item's dead letter goes back into the inbox; a pull source's cannot be fetched again.
/// </summary>
public sealed class DeadLetterApiTests
{
    private static readonly Dictionary<string, string?> OneAttempt = new() { ["Connector:MaxDocumentAttempts"] = "1" };

    [Fact]
    public async Task An_inbox_dead_letter_is_listed_and_a_replay_hands_it_on_once_the_cause_is_fixed()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var source = new TestInboxSource();
        var (app, client) = await ApiTests.StartWithAsync(Environments.Production, ports, OneAttempt, services =>
        {
            services.AddSingleton(source);
            services.AddInboxSource<TestInboxSource, TestInboxItem>();
        });
        await using var _ = app;
        using var __ = client;
        // The first open fails; with one attempt that is a dead letter, and the second open (the replay's) works.
        await app.Services.GetRequiredService<ISourceInbox>().EnqueueAsync(source.Name, "wamid.9", new TestInboxItem("memo.txt", "memo", FailOpens: 1), CancellationToken.None);
        await Eventually.TrueAsync(() => ports.SkippedItems.DeadLetters.Count > 0, "the item was dead-lettered");

        var listed = Assert.Single((await client.GetFromJsonAsync<List<ConnectorDeadLetter>>("/connector/dead-letters"))!);
        Assert.Equal((source.Name, "wamid.9", "memo.txt", 1, true), (listed.Source, listed.SourceId, listed.FileName, listed.Attempts, listed.Replayable));
        Assert.Contains("open 1 of wamid.9 failed", listed.Reason);

        using var replay = await client.PostAsync($"/connector/dead-letters/{listed.Id}/replay", null);

        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var replayed = await replay.Content.ReadFromJsonAsync<DeadLetterReplayResponse>();
        Assert.Equal((listed.Id, source.Name, "wamid.9"), (replayed!.Id, replayed.Source, replayed.SourceId));
        await Eventually.TrueAsync(() => ports.Publisher.Of<DocumentDiscovered>().Count == 1, "the replayed item was handed on");
        Assert.Equal("hook/wamid.9", ports.Publisher.Of<DocumentDiscovered>()[0].SourceId);
        Assert.Empty((await client.GetFromJsonAsync<List<ConnectorDeadLetter>>("/connector/dead-letters"))!);
    }

    [Fact]
    public async Task A_pull_source_dead_letter_is_listed_but_its_replay_is_a_409_problem_and_it_stays_listed()
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var broken = new TestItem("b", "b.pdf", () => throw new IOException("attachment stream broken"), "application/pdf");
        var source = new TestSource("inbox", [broken]);
        var (app, client) = await ApiTests.StartAsync(ports, OneAttempt, source);
        await using var _ = app;
        using var __ = client;
        using var sync = await client.PostAsync("/connector/sources/inbox/sync", null);
        await Eventually.TrueAsync(() => ports.SkippedItems.DeadLetters.Count > 0, "the item was dead-lettered");

        var listed = Assert.Single((await client.GetFromJsonAsync<List<ConnectorDeadLetter>>("/connector/dead-letters"))!);
        Assert.False(listed.Replayable);
        using var replay = await client.PostAsync($"/connector/dead-letters/{listed.Id}/replay", null);

        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        Assert.Equal("application/problem+json", replay.Content.Headers.ContentType?.MediaType);
        var problem = await replay.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("cannot fetch that one item again", problem.GetProperty("detail").GetString());
        Assert.Single((await client.GetFromJsonAsync<List<ConnectorDeadLetter>>("/connector/dead-letters"))!);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef")]
    [InlineData("not-an-id")]
    public async Task Replaying_an_unknown_dead_letter_is_a_404_problem(string id)
    {
        var ports = new ConnectorPorts(TimeProvider.System);
        var (app, client) = await ApiTests.StartAsync(ports, null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;

        using var replay = await client.PostAsync($"/connector/dead-letters/{id}/replay", null);

        Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);
        Assert.Equal("application/problem+json", replay.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_dead_letter_routes_need_an_operator_key()
    {
        var (app, client) = await ApiTests.StartAsync(new ConnectorPorts(TimeProvider.System), null, TestSource.WithTextItems("inbox", 1));
        await using var _ = app;
        using var __ = client;
        using var anonymous = new HttpClient { BaseAddress = client.BaseAddress };
        using var reader = new HttpClient { BaseAddress = client.BaseAddress };
        reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorKeys.ReaderKey);

        using var list = await anonymous.GetAsync("/connector/dead-letters");
        using var replay = await anonymous.PostAsync("/connector/dead-letters/x/replay", null);
        using var readerList = await reader.GetAsync("/connector/dead-letters");

        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, readerList.StatusCode);
    }
}
