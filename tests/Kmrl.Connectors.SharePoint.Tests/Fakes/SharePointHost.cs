using Kmrl.Connectors.Hosting;
using Kmrl.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Kmrl.Connectors.SharePoint.Tests.Fakes;

/// <summary>
/// The connector app's registrations (AddSharePointSources) under the kit's contract host, with only the Graph base
/// URL and the token provider swapped.
/// </summary>
public static class SharePointHost
{
    public static ContractHost Create(FakeGraph graph, IDictionary<string, string?> settings, Action<ConnectorHostOptions>? host = null) => new(
        new ContractOptions
        {
            Connector = DocumentSources.SharePoint,
            ScheduleBinding = DaprNames.Bindings.SharePointSchedule,
            Settings = new Dictionary<string, string?>(settings) { ["SharePoint:GraphBaseUrl"] = graph.GraphBaseUrl.ToString() },
            Host = host,
        },
        builder =>
        {
            builder.AddSharePointSources();
            builder.Services.RemoveAll<IAccessTokenProvider>();
            builder.Services.AddSingleton<IAccessTokenProvider, FakeTokenProvider>();
        });
}
