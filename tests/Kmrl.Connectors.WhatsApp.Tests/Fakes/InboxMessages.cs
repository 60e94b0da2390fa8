using Kmrl.Connectors.Testing;

namespace Kmrl.Connectors.WhatsApp.Tests.Fakes;

internal static class InboxMessages
{
    extension(InMemoryInboxStore inbox)
    {
        /// <summary>Every message the webhook stored, with whether the host has completed it.</summary>
        public IReadOnlyList<(MediaMessage Message, bool Completed)> All => inbox.Items<MediaMessage>();
    }
}
