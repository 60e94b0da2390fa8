using System.Security.Cryptography;
using Kmrl.BuildingBlocks.State;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Extensions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Security;

/// <summary>
/// The staff cookie, the antiforgery tokens and the OpenID Connect state are Data Protection payloads: with several
/// document-api replicas behind one Service, each must read what another wrote.
/// </summary>
public sealed class StaffKeyRingTests
{
    [Fact]
    public async Task A_payload_one_replica_protects_is_read_by_another_sharing_the_state_store_and_by_no_replica_outside_it()
    {
        var store = new InMemoryStateStore();
        await using var first = Replica(store);
        await using var second = Replica(store);
        await using var elsewhere = Replica(new InMemoryStateStore());

        var cookie = Protector(first).Protect("kmrl.staff: Ravi, department-admin of safety");

        Assert.Equal("kmrl.staff: Ravi, department-admin of safety", Protector(second).Unprotect(cookie));
        Assert.ThrowsAny<CryptographicException>(() => Protector(elsewhere).Unprotect(cookie));
        var ring = await store.GetAsync<StateStoreKeyRing.KeyRing>(StateStoreKeyRing.Key, CancellationToken.None);
        Assert.Contains("<key ", Assert.Single(ring!.Value.Keys), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_stored_while_another_replica_stores_one_keeps_both()
    {
        var store = new InMemoryStateStore();
        var ring = new StateStoreKeyRing(store);
        var raced = false;
        store.BeforeWrite = (s, key) =>
        {
            if (raced) return;
            raced = true;
            // The other replica's key goes in between this replica's read and its write.
            new StateStoreKeyRing(s).StoreElement(new System.Xml.Linq.XElement("key", new System.Xml.Linq.XAttribute("id", "other")), "other");
        };

        ring.StoreElement(new System.Xml.Linq.XElement("key", new System.Xml.Linq.XAttribute("id", "mine")), "mine");

        Assert.Equal(["other", "mine"], ring.GetAllElements().Select(e => (string)e.Attribute("id")!));
    }

    private static ServiceProvider Replica(IStateStore store)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(store);
        services.AddStaffKeyRing();
        return services.BuildServiceProvider();
    }

    private static IDataProtector Protector(IServiceProvider replica) =>
        replica.GetRequiredService<IDataProtectionProvider>().CreateProtector("Microsoft.AspNetCore.Authentication.Cookies");
}
