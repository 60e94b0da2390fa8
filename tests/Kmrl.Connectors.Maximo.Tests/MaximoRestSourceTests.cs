using System.Net;
using System.Text;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Maximo.Rest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Maximo.Tests;

public sealed class MaximoRestSourceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 7, 9, 50, 0, TimeSpan.FromHours(5.5));
    private FakeMaximo _maximo = null!;
    private int _nextId = 100;
    private readonly List<ServiceProvider> _providers = [];

    public async Task InitializeAsync() => _maximo = await FakeMaximo.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
        await _maximo.DisposeAsync();
    }

    [Fact]
    public async Task A_first_run_reads_every_attachment_across_pages_with_its_metadata()
    {
        AddWorkOrder("1001", T0, "pump-inspection.pdf", "isolation-permit.pdf");
        AddWorkOrder("1002", T0.AddMinutes(1), "signal-fault.pdf");
        AddWorkOrder("1003", T0.AddMinutes(2));
        AddWorkOrder("1004", T0.AddMinutes(3), "track-report.pdf");

        var run = await SourceContract.RunAsync(Source(pageSize: 2), null, MaximoHost.Options());

        Assert.Equal(["pump-inspection.pdf", "isolation-permit.pdf", "signal-fault.pdf", "track-report.pdf"], run.Documents.Select(d => d.Document.FileName));
        var first = run.Documents[0];
        Assert.Equal(SourceContract.Sha256(Content("1001", "pump-inspection.pdf")), first.Sha256);
        Assert.Equal("application/pdf", first.Document.DeclaredContentType);
        Assert.Equal(Content("1001", "pump-inspection.pdf").Length, first.Document.Size);
        Assert.Equal("mxapiwodetail/1001/doclinks/100", first.Document.SourceId);
        var metadata = first.Document.Metadata;
        Assert.Equal("1001", metadata[MaximoMetadata.WorkOrder]);
        Assert.Equal("PUMP-1001", metadata[MaximoMetadata.Asset]);
        Assert.Equal("MUTTOM", metadata[MaximoMetadata.Site]);
        Assert.Equal("Work order 1001", metadata[MaximoMetadata.Description]);
        Assert.Equal("APPR", metadata[MaximoMetadata.Status]);
        Assert.Equal("Attachments", metadata[MaximoMetadata.DocType]);
        Assert.Equal("About pump-inspection.pdf", metadata[MaximoMetadata.AttachmentDescription]);
        Assert.Equal("WILSON", metadata[MaximoMetadata.CreatedBy]);
        Assert.Equal("100", metadata[MaximoMetadata.DocLinkId]);
        Assert.Equal("2026-04-07T09:50:00+05:30", metadata[MaximoMetadata.Created]);
        // Two pages of two records: the second was reached through responseInfo.nextPage.
        Assert.Equal(1, _maximo.Requests.Count(r => r.Contains("pageno=", StringComparison.Ordinal)));
        Assert.Equal(4, _maximo.AttachmentDownloads);
    }

    [Fact]
    public async Task Incremental_runs_see_only_new_attachments_including_two_changed_in_the_same_second()
    {
        AddWorkOrder("2001", T0, "a.pdf");
        AddWorkOrder("2002", T0.AddSeconds(30), "b.pdf");
        var source = Source(pageSize: 100);
        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        // Committed in Maximo after the first run read the second T0+30s: same second as 2002, plus a later one.
        AddWorkOrder("2003", T0.AddSeconds(30), "c.pdf");
        AddWorkOrder("2004", T0.AddSeconds(30), "d.pdf");
        AddWorkOrder("2005", T0.AddSeconds(31), "e.pdf");
        var downloadsBefore = _maximo.AttachmentDownloads;
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());
        var third = await SourceContract.RunAsync(source, second.Checkpoint, MaximoHost.Options());

        Assert.Equal(["a.pdf", "b.pdf"], first.Documents.Select(d => d.Document.FileName));
        Assert.Equal(["c.pdf", "d.pdf", "e.pdf"], second.Documents.Select(d => d.Document.FileName));
        Assert.Equal(3, _maximo.AttachmentDownloads - downloadsBefore);
        Assert.Empty(third.Documents);
        Assert.Contains(_maximo.Requests, r => r.Contains(Uri.EscapeDataString("changedate>=\"2026-04-07T09:50:30+05:30\""), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_that_changes_again_hands_on_only_its_new_attachment()
    {
        var workOrder = AddWorkOrder("3001", T0, "before.pdf");
        var source = Source(pageSize: 10);
        var first = await SourceContract.RunAsync(source, null, MaximoHost.Options());

        workOrder.DocLinks.Add(DocLink("3001", "after.pdf", T0.AddHours(1)));
        _maximo.WorkOrders[0] = workOrder with { ChangeDate = T0.AddHours(1), Status = "COMP" };
        var second = await SourceContract.RunAsync(source, first.Checkpoint, MaximoHost.Options());

        Assert.Equal(["before.pdf"], first.Documents.Select(d => d.Document.FileName));
        var document = Assert.Single(second.Documents);
        Assert.Equal("after.pdf", document.Document.FileName);
        Assert.Equal("COMP", document.Document.Metadata[MaximoMetadata.Status]);
    }

    [Fact]
    public async Task A_run_cut_off_after_its_first_attachment_continues_without_repeating_it()
    {
        AddWorkOrder("4001", T0, "one.pdf", "two.pdf");
        AddWorkOrder("4002", T0, "three.pdf");
        var source = Source(pageSize: 1);

        // The host stored the checkpoint after the first document, then the process died.
        string? stored = null;
        await foreach (var change in source.ReadChangesAsync(null, CancellationToken.None))
        {
            if (change is SourceCheckpoint marker)
            {
                stored = marker.Value;
                break;
            }
        }
        var rest = await SourceContract.RunAsync(source, stored, MaximoHost.Options());

        Assert.Equal(["two.pdf", "three.pdf"], rest.Documents.Select(d => d.Document.FileName));
    }

    [Fact]
    public async Task Inline_doclink_members_are_read_without_the_collection_request()
    {
        _maximo.InlineDocLinks = true;
        AddWorkOrder("5001", T0, "inline.pdf");

        var run = await SourceContract.RunAsync(Source(pageSize: 10), null, MaximoHost.Options());

        Assert.Equal(SourceContract.Sha256(Content("5001", "inline.pdf")), Assert.Single(run.Documents).Sha256);
        Assert.DoesNotContain(_maximo.Requests, r => r.EndsWith("/doclinks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Maximo_7_6_native_authentication_uses_maxauth_on_the_oslc_path()
    {
        AddWorkOrder("6001", T0, "legacy.pdf");
        var options = Options(pageSize: 10);
        options.AuthMode = MaximoAuthMode.MaxAuth;

        var run = await SourceContract.RunAsync(Source(options), null, MaximoHost.Options());

        Assert.Single(run.Documents);
        Assert.All(_maximo.Requests, r => Assert.StartsWith("/maximo/oslc/", r));
    }

    [Fact]
    public async Task A_rejected_api_key_fails_at_once_with_maximos_message()
    {
        AddWorkOrder("7001", T0, "x.pdf");
        var source = Source(Options(pageSize: 10), apiKey: "wrong");

        var error = await Assert.ThrowsAsync<MaximoApiException>(() => SourceContract.RunAsync(source, null, MaximoHost.Options()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.True(error.IsAuthenticationFailure);
        Assert.Contains("BMXAA0021E", error.Message);
        Assert.Single(_maximo.Requests); // 401 is not retried
    }

    [Fact]
    public async Task Server_errors_are_retried_and_the_run_completes()
    {
        AddWorkOrder("8001", T0, "retry.pdf");
        _maximo.Failures.Enqueue(503);
        _maximo.Failures.Enqueue(500);

        var run = await SourceContract.RunAsync(Source(pageSize: 10), null, MaximoHost.Options());

        Assert.Equal(SourceContract.Sha256(Content("8001", "retry.pdf")), Assert.Single(run.Documents).Sha256);
    }

    [Fact]
    public async Task A_server_that_keeps_failing_ends_the_run_without_a_checkpoint()
    {
        AddWorkOrder("9001", T0, "never.pdf");
        for (var i = 0; i < 5; i++)
        {
            _maximo.Failures.Enqueue(502);
        }
        var checkpoints = new List<string>();

        var error = await Assert.ThrowsAsync<MaximoApiException>(async () =>
        {
            await foreach (var change in Source(pageSize: 10).ReadChangesAsync(null, CancellationToken.None))
            {
                if (change is SourceCheckpoint marker)
                {
                    checkpoints.Add(marker.Value);
                }
            }
        });

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal(3, _maximo.Requests.Count);
        Assert.Empty(checkpoints);
    }

    private FakeWorkOrder AddWorkOrder(string woNum, DateTimeOffset changed, params string[] files)
    {
        var workOrder = new FakeWorkOrder(woNum, "MUTTOM", $"Work order {woNum}", "APPR", changed,
            files.Select(f => DocLink(woNum, f, changed)).ToList());
        _maximo.WorkOrders.Add(workOrder);
        return workOrder;
    }

    private FakeDocLink DocLink(string woNum, string file, DateTimeOffset created) =>
        new(_nextId++, file, "Attachments", "About " + file, created, Content(woNum, file));

    private static byte[] Content(string woNum, string file) => Encoding.UTF8.GetBytes($"%PDF-1.4 {woNum} {file}");

    private MaximoRestOptions Options(int pageSize) => new()
    {
        Name = "maximo/mxapiwodetail",
        BaseUrl = new Uri(_maximo.BaseUrl),
        Secret = "maximo",
        PageSize = pageSize,
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private MaximoRestSource Source(int pageSize) => Source(Options(pageSize));

    private MaximoRestSource Source(MaximoRestOptions options, string apiKey = FakeMaximo.ApiKey)
    {
        var keyed = new InMemorySecrets(new Dictionary<string, Dictionary<string, string>>
        {
            ["maximo"] = new() { ["apikey"] = apiKey, ["username"] = "maxadmin", ["password"] = "maxpass" },
        });
        // The production client registration, so the retries under test are the resilience handler's.
        var services = new ServiceCollection().AddLogging().AddSingleton<ISecretProvider>(keyed).AddMaximoApiClient().BuildServiceProvider();
        _providers.Add(services);
        return new MaximoRestSource(options, services.GetRequiredService<MaximoApiClient>(), NullLogger<MaximoRestSource>.Instance);
    }
}
