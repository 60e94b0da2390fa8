extern alias email;
extern alias maximo;
extern alias sharepoint;
extern alias whatsapp;

using Kmrl.Dapr.Testing;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Bench.Connectors;

/// <summary>Starts a connector's production Program on a test sidecar, as the connectors' end-to-end tests do.</summary>
public static class ConnectorApps
{
    /// <summary>
    /// Information logs per document would put console writes on the measured path and into the bench output;
    /// warnings and errors still show.
    /// </summary>
    private static readonly Dictionary<string, string> Quiet = new(StringComparer.Ordinal) { ["Logging:LogLevel:Default"] = "Warning" };

    public static Task<WebApplicationFactory<email::Program>> StartEmailAsync(DaprSidecar sidecar, IReadOnlyDictionary<string, string> settings) =>
        StartAsync<email::Program>(sidecar, "Kmrl.Connectors.Email", settings);

    public static Task<WebApplicationFactory<maximo::Program>> StartMaximoAsync(DaprSidecar sidecar, IReadOnlyDictionary<string, string> settings) =>
        StartAsync<maximo::Program>(sidecar, "Kmrl.Connectors.Maximo", settings);

    /// <summary>With a token provider that hands the fake Graph's bearer to 127.0.0.1, as the SharePoint tests do.</summary>
    public static Task<WebApplicationFactory<sharepoint::Program>> StartSharePointAsync(DaprSidecar sidecar, IReadOnlyDictionary<string, string> settings) =>
        StartAsync<sharepoint::Program>(sidecar, "Kmrl.Connectors.SharePoint", settings, web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<IAccessTokenProvider>();
            services.AddSingleton<IAccessTokenProvider, FakeGraphTokenProvider>();
        }));

    public static Task<WebApplicationFactory<whatsapp::Program>> StartWhatsAppAsync(DaprSidecar sidecar, IReadOnlyDictionary<string, string> settings) =>
        StartAsync<whatsapp::Program>(sidecar, "Kmrl.Connectors.WhatsApp", settings);

    /// <summary>One mailbox on a loopback Dovecot: INBOX only, mail left in place, no TLS (a lab server, opted out by name).</summary>
    public static Dictionary<string, string> LabMailbox(DovecotImapServer dovecot, string user, string secretName) => new(StringComparer.Ordinal)
    {
        ["Email:Mailboxes:0:Name"] = "bench",
        ["Email:Mailboxes:0:Host"] = dovecot.Host,
        ["Email:Mailboxes:0:Port"] = dovecot.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Mailboxes:0:Tls"] = "None",
        ["Email:Mailboxes:0:AllowInsecureConnection"] = "true",
        ["Email:Mailboxes:0:UserName"] = user,
        ["Email:Mailboxes:0:Secret"] = secretName,
        ["Email:Mailboxes:0:Folders:0"] = "INBOX",
        ["Email:Mailboxes:0:PostProcessing"] = "Leave",
    };

    private static Task<WebApplicationFactory<TProgram>> StartAsync<TProgram>(DaprSidecar sidecar, string project,
        IReadOnlyDictionary<string, string> settings, Action<IWebHostBuilder>? configure = null)
        where TProgram : class
    {
        // WebApplicationFactory guesses the content root from the working directory; run from the repository root it
        // looks for <root>/<project> and the host fails to start. Its documented override is this variable.
        var variable = "ASPNETCORE_TEST_CONTENTROOT_" + project.Replace('.', '_').ToUpperInvariant();
        if (Environment.GetEnvironmentVariable(variable) is null)
        {
            Environment.SetEnvironmentVariable(variable, Path.Combine(RepositoryRoot(), "services", project));
        }
        var merged = new Dictionary<string, string>(Quiet, StringComparer.Ordinal);
        foreach (var (key, value) in settings)
        {
            merged[key] = value;
        }
        return sidecar.StartAppAsync<TProgram>(merged, configure);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kmrl.Dapr.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (Kmrl.Dapr.sln) was not found above " + AppContext.BaseDirectory);
    }
}
