using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Notifications.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.Notifications.Adapters;

/// <summary>
/// Recipients from one secret (<see cref="NotificationOptions.RecipientsSecret"/>): each key an audience, each value
/// ';'-separated addresses. Read on every message, so a change in the store applies without a restart.
/// </summary>
public sealed class SecretStoreRecipientDirectory(ISecretProvider secrets, IOptions<NotificationOptions> options) : IRecipientDirectory
{
    public async Task<IReadOnlyList<string>> RecipientsOfAsync(string audience, CancellationToken cancellationToken)
    {
        var values = await secrets.GetSecretValuesAsync(options.Value.RecipientsSecret, cancellationToken);
        return values.TryGetValue(audience, out var list)
            ? list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
    }
}
