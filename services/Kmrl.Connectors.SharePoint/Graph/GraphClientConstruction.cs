using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Kmrl.Connectors.SharePoint.Graph;

/// <summary>
/// The one way a <see cref="GraphServiceClient"/> is built, in production and in tests: the SDK's default handler
/// chain (retry with Retry-After, redirect that drops the Authorization header across hosts, compression...), a
/// bearer token provider, and a base URL. Tests swap only the last two.
/// </summary>
public static class GraphClientConstruction
{
    public static GraphServiceClient Create(IAccessTokenProvider tokens, Uri baseUrl, int maxRetries)
    {
        var handlers = GraphClientFactory.CreateDefaultHandlers()
            .Select(handler => handler is RetryHandler
                ? new RetryHandler(new RetryHandlerOption { MaxRetry = maxRetries })
                : handler)
            .ToList();
        var http = GraphClientFactory.Create(handlers);
        return new GraphServiceClient(http, new BaseBearerTokenAuthenticationProvider(tokens), baseUrl.ToString().TrimEnd('/'));
    }
}
