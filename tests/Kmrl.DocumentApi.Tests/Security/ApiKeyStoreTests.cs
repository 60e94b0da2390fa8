using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Security;

public sealed class ApiKeyStoreTests
{
    private sealed class MutableSecrets : ISecretProvider
    {
        public Dictionary<string, string> Values { get; } = new();

        public int Reads { get; private set; }

        public Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken)
        {
            Reads++;
            return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(Values));
        }
    }

    private readonly MutableSecrets _secrets = new();
    private readonly FakeTimeProvider _time = new();
    private readonly SecretStoreApiKeyStore _store;

    public ApiKeyStoreTests() =>
        _store = new SecretStoreApiKeyStore(_secrets, _time, Options.Create(new ApiSecurityOptions { ApiKeyCacheSeconds = 300 }));

    [Fact]
    public async Task A_key_maps_to_its_client_and_roles()
    {
        _secrets.Values["document-api:api-keys:kmrl-portal"] = "portal-key-0123456789abcdef; upload , read";
        _secrets.Values["document-api:api-keys:records"] = "records-key-0123456789abcdef;read";
        _secrets.Values["maximo:api-key"] = "maximo-key-0123456789abcdef";

        var portal = await _store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None);
        var records = await _store.FindAsync("records-key-0123456789abcdef", CancellationToken.None);

        Assert.Equal("kmrl-portal", portal!.Name);
        Assert.True(portal.Roles.SetEquals([ApiRoles.Upload, ApiRoles.Read]));
        Assert.True(records!.Roles.SetEquals([ApiRoles.Read]));
        Assert.Null(await _store.FindAsync("maximo-key-0123456789abcdef", CancellationToken.None));
    }

    [Fact]
    public async Task Secrets_are_read_once_per_cache_period_and_a_rotated_key_works_after_it()
    {
        _secrets.Values["document-api:api-keys:portal"] = "old-key-0123456789abcdef;upload";
        Assert.NotNull(await _store.FindAsync("old-key-0123456789abcdef", CancellationToken.None));

        _secrets.Values["document-api:api-keys:portal"] = "new-key-0123456789abcdef;upload";
        Assert.Null(await _store.FindAsync("new-key-0123456789abcdef", CancellationToken.None));
        Assert.Equal(1, _secrets.Reads);

        _time.Advance(TimeSpan.FromSeconds(301));
        Assert.NotNull(await _store.FindAsync("new-key-0123456789abcdef", CancellationToken.None));
        Assert.Null(await _store.FindAsync("old-key-0123456789abcdef", CancellationToken.None));
        Assert.Equal(2, _secrets.Reads);
    }
}
