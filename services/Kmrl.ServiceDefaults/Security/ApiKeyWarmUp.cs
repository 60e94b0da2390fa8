using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kmrl.ServiceDefaults.Security;

/// <summary>
/// Reads the API keys once at start, in the background: a placeholder key is reported in the start-up log, not at
/// the first refused request. Best effort: the sidecar may not answer yet, and the first request asks again.
/// </summary>
internal sealed partial class ApiKeyWarmUp(SecretStoreApiKeyStore store, ILogger<ApiKeyWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await store.LoadAsync(stoppingToken);
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            LogNotYet(exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API keys not read at start (the sidecar may not be up yet); the first request reads them")]
    private partial void LogNotYet(Exception exception);
}
