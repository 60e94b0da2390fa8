extern alias email;
extern alias maximo;

using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Reliability.Tests.Support;
using Kmrl.Testing.Servers;
using Microsoft.Extensions.Options;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// Issue 18: a connector configured for a cleartext transport (IMAP without TLS, plain FTP, http Maximo) would send
/// its password or API key readable on the wire. Each one is refused when the production Program starts, with an
/// options error that names the lab opt-out; with that opt-out it starts. Nothing is contacted: the hosts do not exist.
/// </summary>
public sealed class CleartextTransportTests(CleartextTransportTests.Servers servers) : IClassFixture<CleartextTransportTests.Servers>
{
    public sealed class Servers : IAsyncLifetime
    {
        public RedisServer Redis { get; } = new();

        public Task InitializeAsync() => Redis.InitializeAsync();

        public Task DisposeAsync() => Redis.DisposeAsync();
    }

    private static Dictionary<string, string> Imap(bool optOut) => new()
    {
        ["Email:Mailboxes:0:Name"] = "cleartext",
        ["Email:Mailboxes:0:Host"] = "imap.invalid",
        ["Email:Mailboxes:0:Port"] = "143",
        ["Email:Mailboxes:0:Tls"] = "None",
        ["Email:Mailboxes:0:AllowInsecureConnection"] = optOut ? "true" : "false",
        ["Email:Mailboxes:0:UserName"] = "ops",
        ["Email:Mailboxes:0:Secret"] = "email-ops-mailbox",
        ["Email:Mailboxes:0:Folders:0"] = "INBOX",
    };

    private static Dictionary<string, string> Ftp(bool optOut) => new()
    {
        ["Maximo:ExportFolders:0:Name"] = "exports",
        ["Maximo:ExportFolders:0:Folder"] = "/exports",
        ["Maximo:ExportFolders:0:Server:Protocol"] = "Ftp",
        ["Maximo:ExportFolders:0:Server:AllowInsecureFtp"] = optOut ? "true" : "false",
        ["Maximo:ExportFolders:0:Server:Host"] = "ftp.invalid",
        ["Maximo:ExportFolders:0:Server:UserName"] = "maximo",
        ["Maximo:ExportFolders:0:Server:Secret"] = "maximo-export",
    };

    private static Dictionary<string, string> HttpMaximo(bool optOut) => new()
    {
        ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
        ["Maximo:Rest:0:BaseUrl"] = "http://maximo.invalid/maximo",
        ["Maximo:Rest:0:AllowInsecureHttp"] = optOut ? "true" : "false",
        ["Maximo:Rest:0:Secret"] = "maximo",
    };

    [Theory]
    [InlineData("imap-tls-none-without-opt-out", false, "refused-at-start:AllowInsecureConnection")]
    [InlineData("imap-tls-none-with-AllowInsecureConnection", true, "started")]
    public async Task Cleartext_imap_is_refused_at_start_unless_the_lab_opt_out_is_set(string caseName, bool optOut, string expected)
    {
        var actual = await StartAsync(DaprNames.AppIds.EmailConnector, Imap(optOut), "AllowInsecureConnection",
            async (sidecar, settings) => await sidecar.StartAppAsync<email::Program>(settings));

        ReliabilityReport.Record("R3", "email-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("ftp-export-folder-without-opt-out", "ftp", false, "refused-at-start:AllowInsecureFtp")]
    [InlineData("ftp-export-folder-with-AllowInsecureFtp", "ftp", true, "started")]
    [InlineData("maximo-rest-http-without-opt-out", "http", false, "refused-at-start:AllowInsecureHttp")]
    [InlineData("maximo-rest-http-with-AllowInsecureHttp", "http", true, "started")]
    public async Task Plain_ftp_and_http_maximo_are_refused_at_start_unless_the_lab_opt_out_is_set(string caseName, string transport, bool optOut, string expected)
    {
        var (settings, optOutName) = transport == "ftp" ? (Ftp(optOut), "AllowInsecureFtp") : (HttpMaximo(optOut), "AllowInsecureHttp");

        var actual = await StartAsync(DaprNames.AppIds.MaximoConnector, settings, optOutName,
            async (sidecar, s) => await sidecar.StartAppAsync<maximo::Program>(s));

        ReliabilityReport.Record("R3", "maximo-connector: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// Starts the Program on a fresh sidecar: "started", "refused-at-start:&lt;opt-out&gt;" for an options error that
    /// names the opt-out, else what went wrong.
    /// </summary>
    private async Task<string> StartAsync(string appId, Dictionary<string, string> settings, string optOutName,
        Func<DaprSidecar, Dictionary<string, string>, Task<IAsyncDisposable>> start)
    {
        await using var environment = await DaprTestEnvironment.StartAsync(servers.Redis, options =>
        {
            options.Secrets["email-ops-mailbox"] = new Dictionary<string, object> { ["password"] = "lab-password" };
            options.Secrets["maximo-export"] = new Dictionary<string, object> { ["password"] = "lab-password" };
            options.Secrets["maximo"] = new Dictionary<string, object> { ["apikey"] = "lab-api-key" };
            options.AllowSecrets(DaprNames.AppIds.MaximoConnector, "maximo", "maximo-export");
            OperatorAccess.Grant(options);
        });
        var sidecar = await environment.StartSidecarAsync(appId);
        try
        {
            await using var app = await start(sidecar, settings);
            return "started";
        }
        catch (Exception exception) when (Find<OptionsValidationException>(exception) is { } invalid)
        {
            return invalid.Failures.Any(f => f.Contains(optOutName, StringComparison.Ordinal))
                ? "refused-at-start:" + optOutName
                : "refused-at-start:without-naming-the-opt-out:" + string.Join(" | ", invalid.Failures);
        }
        catch (Exception exception)
        {
            return $"start-failed:{exception.GetType().Name}: {exception.Message}";
        }
    }

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }
        return null;
    }
}
