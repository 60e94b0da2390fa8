using Kmrl.Contracts;

namespace Kmrl.Notifications.Ports;

/// <summary>Announces a reminder link's acknowledgement, so document-api records it where the staff pages show it.</summary>
public interface IDeadlineEvents
{
    Task PublishAcknowledgedAsync(DeadlineAcknowledged acknowledged, CancellationToken cancellationToken);
}
