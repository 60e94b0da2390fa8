namespace Kmrl.Deployment.Tests;

public sealed class SecretReferenceRulesTests
{
    /// <summary>secrets.example.json at a98dd33, before secrets were (name, key) pairs.</summary>
    private const string ExampleAtA98dd33 = """
        {"redis-password": "", "document-api": {"api-keys": {"kmrl-portal": "replace-with-a-long-random-key;upload,read", "records-office": "replace-with-another-key;read"}}, "email": {"ops-mailbox": {"password": "replace-me", "oauth2-token": ""}}, "sharepoint": {"tenant-id": "00000000-0000-0000-0000-000000000000", "client-id": "00000000-0000-0000-0000-000000000000", "client-secret": "replace-me"}, "maximo": {"api-key": "replace-me", "maxauth": "", "ftp-password": "replace-me", "sftp-private-key": ""}, "whatsapp": {"access-token": "replace-me", "app-secret": "replace-me", "verify-token": "replace-me"}}
        """;

    [Fact]
    public void Every_secret_the_shipped_configuration_reads_is_a_kubernetes_name_in_the_example_and_in_the_kubectl_commands()
    {
        var violations = SecretReferenceRules.Check(RepositoryRoot.Find());

        Assert.Empty(violations);
    }

    [Fact]
    public void The_shipped_configuration_reads_one_secret_per_app_or_source_with_fixed_keys()
    {
        var reads = SecretReferenceRules.AppReads(RepositoryRoot.Find(), []);

        Assert.Equal(
            ["document-api: document-api-api-keys (any)", "document-api: staff-sign-in (client-secret)", "document-api: connector-operator-keys (document-api)",
             "email-connector: email-ops-mailbox (password)", "sharepoint-connector: sharepoint (tenant-id+client-id+client-secret)", "whatsapp-connector: whatsapp (access-token+app-secret+verify-token)",
             "notifications: notification-recipients (any)", "email-connector: connector-operator-keys (any)", "sharepoint-connector: connector-operator-keys (any)", "maximo-connector: connector-operator-keys (any)", "whatsapp-connector: connector-operator-keys (any)",
             "local-folder-connector: connector-operator-keys (any)"],
            reads.Select(r => $"{r.App}: {r.Name} ({(r.AnyKey ? "any" : string.Join(" | ", r.Alternatives.Select(a => string.Join("+", a))))})"));
    }

    [Fact]
    public void The_values_of_a98dd33_are_caught()
    {
        using var copy = new SecretsCopy();
        File.WriteAllText(copy.PathOf("secrets.example.json"), ExampleAtA98dd33);
        copy.Replace("services/Kmrl.Connectors.Email/appsettings.json", "\"Secret\": \"email-ops-mailbox\"", "\"SecretName\": \"email:ops-mailbox:password\"");
        copy.ReplaceBetween("docs/operations.md", "kubectl -n kmrl create secret generic document-api-api-keys", "# production only", """
            kubectl -n kmrl create secret generic document-api --from-literal=api-keys='...'
            kubectl -n kmrl create secret generic email --from-literal=ops-mailbox-password='...'

            """);

        var violations = SecretReferenceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("Email:Mailboxes:0:Secret is not set", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("secrets.example.json has no secret 'document-api-api-keys'", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("docs/operations.md (kubectl create secret) has no secret 'whatsapp'", StringComparison.Ordinal));
        // Finding 22: the connector reads apikey, or username and password.
        Assert.Contains(violations, v => v.Contains("key 'api-key' of 'maximo' is read by no service", StringComparison.Ordinal));
        // With multiValued, the nested "api-keys" object would become the key "api-keys:kmrl-portal".
        Assert.Contains(violations, v => v.Contains("'document-api'.'api-keys' is not a string", StringComparison.Ordinal));
    }

    [Fact]
    public void A_secret_name_with_a_colon_is_caught()
    {
        using var copy = new SecretsCopy();
        copy.Replace("services/Kmrl.Connectors.Email/appsettings.json", "\"Secret\": \"email-ops-mailbox\"", "\"Secret\": \"email:ops-mailbox\"");

        var violations = SecretReferenceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("reads secret 'email:ops-mailbox', which is not a Kubernetes secret name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_the_code_reads_but_the_example_lacks_is_caught()
    {
        using var copy = new SecretsCopy();
        copy.Replace("secrets.example.json", "\"client-secret\": \"replace-me\"", "\"secret\": \"replace-me\"");

        var violations = SecretReferenceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.StartsWith("sharepoint-connector reads 'sharepoint' with tenant-id+client-id+client-secret, but secrets.example.json gives", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("key 'secret' of 'sharepoint' is read by no service", StringComparison.Ordinal));
    }

    [Fact]
    public void A_kubectl_command_without_a_key_the_code_reads_is_caught()
    {
        using var copy = new SecretsCopy();
        copy.Replace("docs/operations.md", "--from-literal=verify-token='...'", "--from-literal=verify='...'");

        var violations = SecretReferenceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.StartsWith("whatsapp-connector reads 'whatsapp' with access-token+app-secret+verify-token, but docs/operations.md", StringComparison.Ordinal));
    }

    [Fact]
    public void A_component_secret_ref_the_example_does_not_serve_is_caught()
    {
        using var copy = new SecretsCopy();
        copy.Replace("secrets.example.json", "\"redis-password\": \"\",", string.Empty);

        var violations = SecretReferenceRules.Check(copy.Root);

        Assert.Contains(violations, v => v.Contains("secretKeyRef redis-password/redis-password", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("whatsapp", true)]
    [InlineData("document-api-api-keys", true)]
    [InlineData("kmrl.redis", true)]
    [InlineData("whatsapp:access-token", false)]
    [InlineData("WhatsApp", false)]
    [InlineData("-whatsapp", false)]
    [InlineData("", false)]
    public void Secret_names_follow_dns_1123_subdomains(string name, bool valid) =>
        Assert.Equal(valid, SecretReferenceRules.IsSecretName(name));

    [Theory]
    [InlineData("access-token", true)]
    [InlineData("Client_Secret.v2", true)]
    [InlineData("ops-mailbox:password", false)]
    [InlineData("..data", false)]
    [InlineData(".", false)]
    [InlineData("a b", false)]
    public void Secret_keys_follow_config_map_keys(string key, bool valid) =>
        Assert.Equal(valid, SecretReferenceRules.IsSecretKey(key));

    /// <summary>A temporary copy of what the secret rules read, for breaking on purpose.</summary>
    private sealed class SecretsCopy : IDisposable
    {
        public SecretsCopy()
        {
            var source = RepositoryRoot.Find();
            Root = Directory.CreateTempSubdirectory("kmrl-secrets-copy-").FullName;
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, "services"), "appsettings.json", SearchOption.AllDirectories)
                .Concat(Directory.EnumerateFiles(Path.Combine(source, "components"), "*.yaml"))
                .Concat(Directory.EnumerateFiles(Path.Combine(source, "k8s"), "*.yaml", SearchOption.AllDirectories))
                .Append(Path.Combine(source, "secrets.example.json"))
                .Append(Path.Combine(source, "docs", "operations.md")))
            {
                var relative = Path.GetRelativePath(source, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(segment => segment is "bin" or "obj"))
                {
                    continue;
                }
                var target = PathOf(relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        public string Root { get; }

        public string PathOf(string relative) => Path.Combine(Root, relative);

        public void Replace(string relative, string oldText, string newText)
        {
            var content = File.ReadAllText(PathOf(relative));
            Assert.Contains(oldText, content);
            File.WriteAllText(PathOf(relative), content.Replace(oldText, newText, StringComparison.Ordinal));
        }

        /// <summary>Replaces from <paramref name="start"/> (included) up to <paramref name="end"/> (kept).</summary>
        public void ReplaceBetween(string relative, string start, string end, string newText)
        {
            var content = File.ReadAllText(PathOf(relative));
            var from = content.IndexOf(start, StringComparison.Ordinal);
            var to = content.IndexOf(end, from, StringComparison.Ordinal);
            Assert.True(from >= 0 && to > from, $"'{start}' … '{end}' not found in {relative}");
            File.WriteAllText(PathOf(relative), content[..from] + newText + content[to..]);
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
