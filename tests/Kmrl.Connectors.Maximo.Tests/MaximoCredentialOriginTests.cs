using System.Collections.Concurrent;
using System.Net;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.Maximo.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kmrl.Connectors.Maximo.Tests;

/// <summary>
/// The Maximo API key goes to BaseUrl's origin and nowhere else: not to a host a link in Maximo's JSON names, not
/// along a redirect (issue 18). Two loopback servers: "maximo" and "elsewhere", which records what reaches it.
/// </summary>
public sealed class MaximoCredentialOriginTests : IAsyncLifetime
{
    private const string ApiKey = "maximo-api-key-for-origin-tests";
    private WebApplication _maximo = null!;
    private WebApplication _elsewhere = null!;
    private readonly ConcurrentQueue<string> _elsewhereApiKeys = new();
    private ServiceProvider _services = null!;

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    public async Task InitializeAsync()
    {
        _elsewhere = await StartAsync(app => app.MapGet("/{**path}", (HttpRequest request) =>
        {
            _elsewhereApiKeys.Enqueue(request.Headers["apikey"].ToString());
            return Results.Json(new { member = Array.Empty<object>() });
        }));
        var elsewhere = _elsewhere.Urls.First();
        _maximo = await StartAsync(app => app.MapGet("/maximo/api/moved", () => Results.Redirect(elsewhere + "/maximo/api/os/mxapiwodetail")));

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Maximo:Rest:0:Name"] = "maximo/mxapiwodetail",
            ["Maximo:Rest:0:BaseUrl"] = _maximo.Urls.First(),
            ["Maximo:Rest:0:AllowInsecureHttp"] = "true",
            ["Maximo:Rest:0:Secret"] = "maximo",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ISecretProvider>(InMemorySecrets.One("maximo", "apikey", ApiKey));
        services.AddMaximoSources(configuration);
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _maximo.DisposeAsync();
        await _elsewhere.DisposeAsync();
    }

    private MaximoRestOptions Options => new()
    {
        Name = "maximo/mxapiwodetail",
        BaseUrl = new Uri(_maximo.Urls.First()),
        AllowInsecureHttp = true,
        Secret = "maximo",
        Attempts = 1,
    };

    [Fact]
    public async Task A_link_to_another_origin_is_not_followed_and_gets_no_api_key()
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var foreign = new Uri(_elsewhere.Urls.First() + "/maximo/api/os/mxapiwodetail/_QkVERk9SRC8xMDAx/doclinks/7");

        await Assert.ThrowsAsync<MaximoForeignLinkException>(() => api.OpenAsync(Options, foreign, CancellationToken.None));
        await Assert.ThrowsAsync<MaximoForeignLinkException>(() => api.GetJsonAsync(Options, foreign, CancellationToken.None));

        Assert.Empty(_elsewhereApiKeys);
    }

    [Fact]
    public async Task The_same_host_on_another_port_or_scheme_is_another_origin()
    {
        var api = _services.GetRequiredService<MaximoApiClient>();
        var baseUrl = new Uri(_maximo.Urls.First());

        await Assert.ThrowsAsync<MaximoForeignLinkException>(() =>
            api.GetJsonAsync(Options, new Uri($"https://{baseUrl.Host}:{baseUrl.Port}/maximo/api/os/x"), CancellationToken.None));
        await Assert.ThrowsAsync<MaximoForeignLinkException>(() =>
            api.GetJsonAsync(Options, new Uri(_elsewhere.Urls.First().Replace("127.0.0.1", baseUrl.Host, StringComparison.Ordinal) + "/maximo/api/os/x"), CancellationToken.None));
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_api_key_does_not_travel_with_it()
    {
        var api = _services.GetRequiredService<MaximoApiClient>();

        var error = await Assert.ThrowsAsync<MaximoApiException>(() =>
            api.GetJsonAsync(Options, new Uri(_maximo.Urls.First() + "/maximo/api/moved"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Redirect, error.StatusCode);
        Assert.Empty(_elsewhereApiKeys);
    }
}
