using System.Xml.Linq;
using Kmrl.BuildingBlocks.State;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// The Data Protection key ring in the catalog's state store, so that every document-api replica reads the staff
/// cookie, the antiforgery tokens and the OpenID Connect sign-in state that another replica wrote. With a key ring per
/// pod (the default: a folder in the container), a form served by one pod and posted to another is refused, and a
/// sign-in that Entra ID sends back to another pod fails. One key (state keys carry the app id, so all replicas share it).
/// </summary>
public sealed class StateStoreKeyRing(IStateStore store) : IXmlRepository
{
    public const string Key = "staff-data-protection-keys";
    private const int MaxAttempts = 20;

    public sealed record KeyRing(IReadOnlyList<string> Keys);

    // IXmlRepository is synchronous by design. Data Protection calls it when it loads or refreshes the key ring (at the
    // first protect, then about daily) and when it makes a new key (every 90 days), never per request; the call runs
    // on the thread pool so no synchronisation context is blocked.
    public IReadOnlyCollection<XElement> GetAllElements() =>
        Task.Run(() => store.GetAsync<KeyRing>(Key, CancellationToken.None)).GetAwaiter().GetResult()?.Value.Keys
            .Select(key => XElement.Parse(key)).ToList() ?? [];

    public void StoreElement(XElement element, string friendlyName)
    {
        var text = element.ToString(SaveOptions.DisableFormatting);
        // The optimistic update: two replicas making their first key at once both keep theirs.
        Task.Run(() => store.UpdateAsync<KeyRing>(Key, current => new KeyRing([.. current?.Keys ?? [], text]), MaxAttempts, CancellationToken.None))
            .GetAwaiter().GetResult();
    }
}
