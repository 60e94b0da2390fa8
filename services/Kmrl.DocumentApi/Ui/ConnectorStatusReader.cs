using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Ui;

/// <summary>The part of a connector's <c>GET /connector/status</c> the operations page shows.</summary>
public sealed record ConnectorRunView(DateTimeOffset FinishedAt, string Outcome);

/// <summary>An item the connector rejected or gave up on (its <c>recentlySkipped</c>): the recent failures of single documents.</summary>
public sealed record ConnectorSkippedView(string Kind, string SourceId, string FileName, string Reason, int Attempts, DateTimeOffset At);

public sealed record ConnectorSourceView(
    string Source, bool Running, ConnectorRunView? LastRun, DateTimeOffset? LastSuccessAt, string? LastError, int ConsecutiveFailures,
    DateTimeOffset? LastDocumentAt = null, IReadOnlyList<ConnectorSkippedView>? RecentlySkipped = null);

public sealed record ConnectorStatusDocument(string Connector, string Health, IReadOnlyList<ConnectorSourceView> Sources);

/// <summary>One connector as the page shows it: its status, or why it could not be read.</summary>
public sealed record ConnectorStatusView(string AppId, ConnectorStatusDocument? Status, string? Error);

public sealed class ConnectorStatusOptions
{
    public const string Section = "DocumentApi:Connectors";

    /// <summary>The app ids whose status the page reads.</summary>
    public string[] AppIds { get; set; } = [.. DaprNames.AppIds.Connectors];

    /// <summary>document-api's own entry in <c>connector-operator-keys</c>, whose key opens the status routes.</summary>
    public string OperatorClient { get; set; } = DaprNames.AppIds.DocumentApi;

    public int TimeoutSeconds { get; set; } = 3;

    /// <summary>A source without a completed run for longer than this is marked behind (two of the default 10-minute schedules).</summary>
    public int LagWarningMinutes { get; set; } = 20;
}

/// <summary>
/// Reads each connector's status through the sidecar (service invocation), with the operator key document-api holds
/// in the connectors' own key secret: the page reuses the connectors' API rather than a copy of their state.
/// </summary>
public sealed class ConnectorStatusReader(HttpClient http, ISecretProvider secrets, IOptions<ConnectorStatusOptions> options)
{
    public async Task<IReadOnlyList<ConnectorStatusView>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        string key;
        try
        {
            key = (await secrets.GetSecretAsync(DaprNames.Secrets.ConnectorOperatorKeys, settings.OperatorClient, cancellationToken)).Split(';', 2)[0].Trim();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var reason = $"no operator key '{settings.OperatorClient}' in {DaprNames.Secrets.ConnectorOperatorKeys}";
            return settings.AppIds.Select(id => new ConnectorStatusView(id, null, reason)).ToList();
        }
        return await Task.WhenAll(settings.AppIds.Select(id => ReadAsync(id, key, settings.TimeoutSeconds, cancellationToken)));
    }

    private async Task<ConnectorStatusView> ReadAsync(string appId, string key, int timeoutSeconds, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            // http://<app id>/... : the SDK's InvocationHandler sends it to the sidecar's service invocation.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{appId}/connector/status");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return new ConnectorStatusView(appId, null, $"HTTP {(int)response.StatusCode}");
            }
            return new ConnectorStatusView(appId, await response.Content.ReadFromJsonAsync<ConnectorStatusDocument>(KmrlJson.Options, timeout.Token), null);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException
                                          && !cancellationToken.IsCancellationRequested)
        {
            return new ConnectorStatusView(appId, null, exception is OperationCanceledException ? "no answer" : exception.Message);
        }
    }
}
