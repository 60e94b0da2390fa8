using Kmrl.BuildingBlocks.Secrets;
using Kmrl.DocumentApi.Security;
using Kmrl.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kmrl.DocumentApi.Tests.Security;

public sealed class ApiKeyStoreTests
{
    /// <summary>A store of named secrets that counts reads and refuses any bulk read.</summary>
    private sealed class MutableSecrets : ISecretProvider
    {
        public Dictionary<string, Dictionary<string, string>> Secrets { get; } = new(StringComparer.Ordinal);

        public List<string> Reads { get; } = [];

        public Task<string> GetSecretAsync(string name, string key, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("API keys are read as one whole secret.");

        public Task<IReadOnlyDictionary<string, string>> GetSecretValuesAsync(string name, CancellationToken cancellationToken)
        {
            Reads.Add(name);
            return Secrets.TryGetValue(name, out var values)
                ? Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(values))
                : throw new SecretNotFoundException(name, key: null, "test");
        }
    }

    private readonly MutableSecrets _secrets = new();
    private readonly FakeTimeProvider _time = new();
    private readonly SecretStoreApiKeyStore _store;

    public ApiKeyStoreTests() =>
        _store = new SecretStoreApiKeyStore(_secrets, _time, Options.Create(new ApiSecurityOptions { ApiKeysSecret = "document-api-api-keys", ApiKeyCacheSeconds = 300 }),
            NullLogger<SecretStoreApiKeyStore>.Instance);

    [Fact]
    public async Task Each_key_of_the_api_keys_secret_is_a_client_with_its_roles()
    {
        _secrets.Secrets["document-api-api-keys"] = new()
        {
            ["kmrl-portal"] = "portal-key-0123456789abcdef; upload , read",
            ["records"] = "records-key-0123456789abcdef;read",
        };
        _secrets.Secrets["maximo"] = new() { ["apikey"] = "maximo-key-0123456789abcdef" };

        var portal = await _store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None);
        var records = await _store.FindAsync("records-key-0123456789abcdef", CancellationToken.None);

        Assert.Equal("kmrl-portal", portal!.Name);
        Assert.True(portal.Roles.SetEquals([ApiRoles.Upload, ApiRoles.Read]));
        Assert.True(records!.Roles.SetEquals([ApiRoles.Read]));
        Assert.Null(await _store.FindAsync("maximo-key-0123456789abcdef", CancellationToken.None));
        Assert.Equal(["document-api-api-keys"], _secrets.Reads);
    }

    [Fact]
    public async Task Secrets_are_read_once_per_cache_period_and_a_rotated_key_works_after_it()
    {
        _secrets.Secrets["document-api-api-keys"] = new() { ["portal"] = "old-key-0123456789abcdef;upload" };
        Assert.NotNull(await _store.FindAsync("old-key-0123456789abcdef", CancellationToken.None));

        _secrets.Secrets["document-api-api-keys"]["portal"] = "new-key-0123456789abcdef;upload";
        Assert.Null(await _store.FindAsync("new-key-0123456789abcdef", CancellationToken.None));
        Assert.Single(_secrets.Reads);

        _time.Advance(TimeSpan.FromSeconds(301));
        Assert.NotNull(await _store.FindAsync("new-key-0123456789abcdef", CancellationToken.None));
        Assert.Null(await _store.FindAsync("old-key-0123456789abcdef", CancellationToken.None));
        Assert.Equal(2, _secrets.Reads.Count);
    }

    [Fact]
    public async Task A_missing_api_keys_secret_means_no_clients_and_is_asked_again_after_a_short_while_not_per_request()
    {
        Assert.Null(await _store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None));
        Assert.Null(await _store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None));
        Assert.Single(_secrets.Reads);

        _secrets.Secrets["document-api-api-keys"] = new() { ["portal"] = "portal-key-0123456789abcdef;read" };
        _time.Advance(SecretStoreApiKeyStore.MissingSecretRetry + TimeSpan.FromSeconds(1));

        Assert.NotNull(await _store.FindAsync("portal-key-0123456789abcdef", CancellationToken.None));
        Assert.Equal(2, _secrets.Reads.Count);
    }

    [Fact]
    public void The_default_secret_is_a_name_kubernetes_can_hold()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddDocumentApiSecurity();
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ApiSecurityOptions>>().Value;

        Assert.Equal("document-api-api-keys", options.ApiKeysSecret);
        Assert.True(SecretNames.IsValidName(options.ApiKeysSecret));
    }

    [Theory]
    [InlineData("replace-with-a-long-random-key", "placeholder word 'replace'")]
    [InlineData("replace-with-another-key", "placeholder word 'replace'")]
    [InlineData("short", "shorter than 16")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaa", "bits of entropy")]
    [InlineData("abababababababababababab", "bits of entropy")]
    public void Placeholder_and_guessable_keys_are_named_as_such(string key, string reason)
    {
        Assert.Contains(reason, ApiKeyStrength.Weakness(key));
    }

    [Theory]
    [InlineData("portal-key-0123456789abcdef")]
    [InlineData("3q2+7wAAAAB0ZXN0LWtleS1mb3ItdGVzdHM=")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015")]
    public void Random_looking_keys_are_accepted(string key)
    {
        Assert.Null(ApiKeyStrength.Weakness(key));
    }

    [Fact]
    public async Task The_placeholder_keys_of_secrets_example_json_open_nothing()
    {
        // Exactly what secrets.example.json ships: copying it to secrets.json must not leave working credentials.
        _secrets.Secrets["document-api-api-keys"] = new()
        {
            ["kmrl-portal"] = "replace-with-a-long-random-key;upload,read",
            ["records-office"] = "replace-with-another-key;read",
        };

        Assert.Null(await _store.FindAsync("replace-with-a-long-random-key", CancellationToken.None));
        Assert.Null(await _store.FindAsync("replace-with-another-key", CancellationToken.None));
    }
}
