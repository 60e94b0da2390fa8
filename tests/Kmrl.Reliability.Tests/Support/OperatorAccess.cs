using System.Net.Http.Headers;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;

namespace Kmrl.Reliability.Tests.Support;

/// <summary>
/// The operator's credential for a connector's status and sync routes (secret <c>connector-operator-keys</c>,
/// role operator), and daprd's app token: a connector answers neither route without them (issue 18).
/// </summary>
public static class OperatorAccess
{
    public const string Key = "reliability-operator-4Kq9Zx2Wm7Rt5Lp8";
    public const string AppApiToken = "reliability-app-token-6Hd3Nv8Qs1";

    /// <summary>Puts the operator key in the sidecar's secret store and has the sidecar send the app token.</summary>
    public static void Grant(DaprTestOptions options)
    {
        options.Secrets[DaprNames.Secrets.ConnectorOperatorKeys] = new Dictionary<string, object> { ["reliability"] = Key + ";operator" };
        options.AppApiToken ??= AppApiToken;
    }

    /// <summary>An HttpClient for <paramref name="address"/> that authenticates as the operator.</summary>
    public static HttpClient Client(Uri address, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return http;
    }
}
