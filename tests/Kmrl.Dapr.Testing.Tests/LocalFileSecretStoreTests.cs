using Kmrl.Dapr.Testing.Components;
using Kmrl.Dapr.Testing.Runtime;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>
/// The double's secretstores.local.file against what components-contrib v1.16.13
/// <c>secretstores/local/file/filestore.go</c> does: <c>Init</c> (multiValued or flattened), <c>visitJSONObject</c> /
/// <c>visitPrimitive</c> (<c>fmt.Sprintf("%s", v)</c>), <c>GetSecret</c> and <c>BulkGetSecret</c>.
/// </summary>
public sealed class LocalFileSecretStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kmrl-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void With_multiValued_a_top_level_object_is_one_secret_whose_members_are_its_keys()
    {
        var store = Load("""{ "whatsapp": { "access-token": "t", "app-secret": "s" } }""", multiValued: "true");

        Assert.Equal(new Dictionary<string, string> { ["access-token"] = "t", ["app-secret"] = "s" }, store.GetSecret("whatsapp"));
        Assert.Null(store.GetSecret("whatsapp:access-token"));
    }

    [Fact]
    public void With_multiValued_a_top_level_string_is_a_secret_whose_one_key_is_its_own_name()
    {
        // What `secretKeyRef: {name: redis-password, key: redis-password}` resolves through.
        var store = Load("""{ "redis-password": "" }""", multiValued: "true");

        Assert.Equal(new Dictionary<string, string> { ["redis-password"] = "" }, store.GetSecret("redis-password"));
    }

    [Fact]
    public void With_multiValued_levels_below_the_top_are_flattened_into_keys_with_the_nested_separator()
    {
        var store = Load("""{ "email": { "ops": { "password": "p" }, "list": ["a", "b"] } }""", multiValued: "true");
        var dotted = Load("""{ "email": { "ops": { "password": "p" } } }""", multiValued: "true", nestedSeparator: ".");

        Assert.Equal(new Dictionary<string, string> { ["ops:password"] = "p", ["list:0"] = "a", ["list:1"] = "b" }, store.GetSecret("email"));
        Assert.Equal(new Dictionary<string, string> { ["ops.password"] = "p" }, dotted.GetSecret("email"));
    }

    [Fact]
    public void With_multiValued_a_top_level_number_bool_null_or_array_is_no_secret_at_all()
    {
        var store = Load("""{ "port": 993, "on": true, "none": null, "list": ["a"], "kept": "k" }""", multiValued: "true");

        Assert.Null(store.GetSecret("port"));
        Assert.Null(store.GetSecret("on"));
        Assert.Null(store.GetSecret("none"));
        Assert.Null(store.GetSecret("list"));
        Assert.Null(store.GetSecret("list:0"));
        Assert.Equal(["kept"], store.BulkGetSecret().Keys);
    }

    [Fact]
    public void Leaves_that_are_not_strings_come_back_as_gos_percent_s_prints_them()
    {
        var store = Load("""{ "s": { "port": 993, "ratio": 1.5, "big": 1234567, "tiny": 0.00001, "on": true, "off": false, "none": null } }""", multiValued: "true");

        Assert.Equal(new Dictionary<string, string>
        {
            ["port"] = "%!s(float64=993)",
            ["ratio"] = "%!s(float64=1.5)",
            ["big"] = "%!s(float64=1.234567e+06)",
            ["tiny"] = "%!s(float64=1e-05)",
            ["on"] = "%!s(bool=true)",
            ["off"] = "%!s(bool=false)",
            ["none"] = "%!s(<nil>)",
        }, store.GetSecret("s"));
    }

    [Fact]
    public void Without_multiValued_the_whole_file_is_flattened_and_each_name_is_a_secret_keyed_by_itself()
    {
        var store = Load("""{ "redis-password": "r", "whatsapp": { "app-secret": "s", "ids": ["x"] } }""", multiValued: "false");

        Assert.Equal(new Dictionary<string, string> { ["whatsapp:app-secret"] = "s" }, store.GetSecret("whatsapp:app-secret"));
        Assert.Equal(new Dictionary<string, string> { ["whatsapp:ids:0"] = "x" }, store.GetSecret("whatsapp:ids:0"));
        Assert.Equal(new Dictionary<string, string> { ["redis-password"] = "r" }, store.GetSecret("redis-password"));
        Assert.Null(store.GetSecret("whatsapp"));
        Assert.Equal(["redis-password", "whatsapp:app-secret", "whatsapp:ids:0"], store.BulkGetSecret().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    [InlineData("no")]
    public void MultiValued_is_off_unless_it_is_a_truthy_string(string? multiValued)
    {
        var store = Load("""{ "a": { "b": "c" } }""", multiValued);

        Assert.NotNull(store.GetSecret("a:b"));
        Assert.False(store.MultiValued);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("True")]
    [InlineData("1")]
    [InlineData("yes")]
    [InlineData(" on ")]
    public void MultiValued_accepts_what_dapr_kit_counts_as_truthy(string multiValued) =>
        Assert.True(Load("""{ "a": { "b": "c" } }""", multiValued).MultiValued);

    [Fact]
    public void Bulk_get_returns_every_secret_with_all_its_keys()
    {
        var store = Load("""{ "redis-password": "", "sharepoint": { "tenant-id": "t", "client-id": "c" } }""", multiValued: "true");

        var bulk = store.BulkGetSecret();

        Assert.Equal(new Dictionary<string, string> { ["redis-password"] = "" }, bulk["redis-password"]);
        Assert.Equal(new Dictionary<string, string> { ["tenant-id"] = "t", ["client-id"] = "c" }, bulk["sharepoint"]);
    }

    [Fact]
    public void A_member_written_twice_keeps_its_last_value_as_gos_json_unmarshal_into_a_map_does()
    {
        var store = Load("""{ "w": { "k": "first" }, "w": { "k": "second" } }""", multiValued: "true");

        Assert.Equal(new Dictionary<string, string> { ["k"] = "second" }, store.GetSecret("w"));
    }

    [Fact]
    public void Init_fails_when_the_file_is_missing_or_its_root_is_not_an_object()
    {
        var missing = Spec(Path.Combine(_directory, "nope.json"), "true", null);
        File.WriteAllText(Path.Combine(_directory, "array.json"), """["a"]""");
        var array = Spec(Path.Combine(_directory, "array.json"), "true", null);
        var noFile = new ComponentSpec("secretstore", SupportedComponentTypes.LocalFileSecrets, "v1", new Dictionary<string, string>(), [], "test");

        Assert.Contains("no such file", Assert.Throws<InvalidOperationException>(() => new LocalFileSecretStore(missing, _directory)).Message);
        Assert.Contains("cannot unmarshal array", Assert.Throws<InvalidOperationException>(() => new LocalFileSecretStore(array, _directory)).Message);
        Assert.Contains("missing local secrets file", Assert.Throws<InvalidOperationException>(() => new LocalFileSecretStore(noFile, _directory)).Message);
    }

    [Fact]
    public void A_relative_secrets_file_is_opened_from_the_given_directory()
    {
        File.WriteAllText(Path.Combine(_directory, "secrets.json"), """{ "a": "b" }""");
        var nested = Directory.CreateDirectory(Path.Combine(_directory, "services", "App")).FullName;

        var store = new LocalFileSecretStore(Spec("../../secrets.json", "true", null), nested);

        Assert.Equal("b", store.GetSecret("a")!["a"]);
    }

    [Fact]
    public void Two_leaves_that_flatten_to_one_name_are_refused_because_filestore_go_keeps_an_order_dependent_part()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => Load("""{ "a:b": "1", "a": { "b": "2" } }""", multiValued: "false"));

        Assert.Contains("'a:b' occurs twice", exception.Message);
    }

    private LocalFileSecretStore Load(string json, string? multiValued, string? nestedSeparator = null)
    {
        var file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, json);
        return new LocalFileSecretStore(Spec(file, multiValued, nestedSeparator), _directory);
    }

    private static ComponentSpec Spec(string secretsFile, string? multiValued, string? nestedSeparator)
    {
        var metadata = new Dictionary<string, string> { ["secretsFile"] = secretsFile };
        if (multiValued is not null) metadata["multiValued"] = multiValued;
        if (nestedSeparator is not null) metadata["nestedSeparator"] = nestedSeparator;
        return new ComponentSpec("secretstore", SupportedComponentTypes.LocalFileSecrets, "v1", metadata, [], "test");
    }
}
