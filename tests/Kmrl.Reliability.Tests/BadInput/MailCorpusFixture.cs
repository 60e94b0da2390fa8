extern alias email;

using System.Globalization;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// email-connector's production Program on the test sidecar against real Dovecot: the whole corpus is delivered
/// into one folder, one cron tick reads it, and each message's outcome is read from the published events and the
/// connector's status page.
/// </summary>
public sealed class MailCorpusFixture : IAsyncLifetime
{
    private const string User = "bob";
    private const string Folder = "R3";
    private readonly RedisServer _redis = new();
    private readonly DovecotImapServer _dovecot = new();
    private DaprTestEnvironment _environment = null!;
    private WebApplicationFactory<email::Program> _app = null!;
    private Task<IReadOnlyDictionary<string, string>> _outcomes = null!;

    public HttpClient Http { get; private set; } = null!;

    public SourceCorpusProbe Probe { get; private set; } = null!;

    public DovecotImapServer Dovecot => _dovecot;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _dovecot.InitializeAsync());
        _environment = await DaprTestEnvironment.StartAsync(_redis, options =>
        {
            options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = _dovecot.Users[User] };
            OperatorAccess.Grant(options);
        });
        var sidecar = await _environment.StartSidecarAsync(DaprNames.AppIds.EmailConnector);
        _app = await sidecar.StartAppAsync<email::Program>(new Dictionary<string, string>
        {
            ["Email:Mailboxes:0:Name"] = "r3",
            ["Email:Mailboxes:0:Host"] = _dovecot.Host,
            ["Email:Mailboxes:0:Port"] = _dovecot.Port.ToString(CultureInfo.InvariantCulture),
            ["Email:Mailboxes:0:UserName"] = User,
            ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
            ["Email:Mailboxes:0:Folders:0"] = Folder,
            ["Email:Mailboxes:0:PostProcessing"] = "Leave",
            ["Email:Mailboxes:0:UseIdle"] = "false",
            ["Connector:Filters:MaxSizeBytes"] = MailCases.MaxSizeBytes.ToString(CultureInfo.InvariantCulture),
        });
        Http = OperatorAccess.Client(_app.ClientOptions.BaseAddress);
        Probe = new SourceCorpusProbe(_environment, sidecar, Http, DaprNames.Bindings.EmailSchedule);
        _outcomes = RunAsync();
    }

    public async Task<string> OutcomeOfAsync(string caseName) => (await _outcomes)[caseName];

    public Task AllCases => _outcomes;

    /// <summary>Delivers one more message and runs the connector once; returns how many documents it published.</summary>
    public async Task<int> DeliverAndRunAsync(byte[] message)
    {
        var before = (await Probe.DiscoveredAsync()).Count;
        await _dovecot.DeliverAsync(User, message, Folder);
        await Probe.RunOnceAsync();
        return (await Probe.DiscoveredAsync()).Count - before;
    }

    private async Task<IReadOnlyDictionary<string, string>> RunAsync()
    {
        foreach (var item in MailCases.All)
        {
            await _dovecot.DeliverAsync(User, item.Message, Folder);
        }
        var run = await Probe.RunOnceAsync();
        var outcome = run["outcome"]!.GetValue<string>();
        var discovered = await Probe.DiscoveredAsync();
        var outcomes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in MailCases.All)
        {
            var documents = discovered
                .Where(d => d.SourceMetadata.TryGetValue("messageId", out var id) && id.Contains(item.Name + "@r3.kmrl", StringComparison.Ordinal))
                .ToList();
            if (documents.Count > 0)
            {
                var name = documents[0].FileName;
                outcomes[item.Name] = documents.Count > 1 ? $"discovered-{documents.Count}"
                    : !item.ReportName ? "discovered"
                    : name.Length > 100 ? $"discovered:name-length={name.Length}"
                    : "discovered:name=" + UploadCorpusFixture.Visible(name);
                continue;
            }
            var skipped = await Probe.SkippedOutcomeAsync(s => s["sourceId"]?.GetValue<string>() is { } id
                && discovered.All(d => !d.SourceId.EndsWith(id, StringComparison.Ordinal))
                && SkippedBelongsTo(item, s["fileName"]?.GetValue<string>()));
            outcomes[item.Name] = skipped ?? (string.Equals(outcome, "completed", StringComparison.OrdinalIgnoreCase) ? "ignored:no-document" : "run-" + outcome);
        }
        return outcomes;
    }

    // Skipped items carry the attachment's file name, not the Message-ID; the corpus gives each skippable case its own.
    private static bool SkippedBelongsTo(MailCase item, string? fileName) => item.Name switch
    {
        "mime-executable-attachment" => fileName == "invoice.exe",
        "mime-attachment-over-size-limit" => fileName == "scan-huge.pdf",
        "mime-zero-byte-attachment" => fileName == "empty.pdf",
        // An unreadable message has no file name to report: it is the corpus's only one.
        "mime-subject-over-4-kib" => fileName == string.Empty,
        _ => false,
    };

    public async Task DisposeAsync()
    {
        try
        {
            await _outcomes;
        }
        catch (Exception)
        {
            // Reported by the theory rows.
        }
        Http?.Dispose();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        await _dovecot.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
