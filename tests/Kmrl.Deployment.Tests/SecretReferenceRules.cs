using System.Text.Json;
using System.Text.RegularExpressions;
using Kmrl.Contracts;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Every secret the services read with their shipped configuration (appsettings.json over the option defaults, which
/// are the <see cref="DaprNames.Secrets"/> constants), checked against Kubernetes' naming rules, secrets.example.json
/// (read as components/secretstore.yaml's local.file with multiValued "true" reads it) and the <c>kubectl create secret</c>
/// commands of docs/operations.md. Each rule returns readable violations, so a broken copy can be checked too.
/// </summary>
public static partial class SecretReferenceRules
{
    /// <summary>One secret an app reads: satisfied when every key of one of the alternatives is there (none: any key).</summary>
    public sealed record SecretRead(string App, string Name, IReadOnlyList<IReadOnlyList<string>> Alternatives, IReadOnlyList<string> AllowedKeys)
    {
        public bool AnyKey => Alternatives.Count == 0;

        public bool IsSatisfiedBy(IReadOnlyCollection<string> keys) =>
            AnyKey ? keys.Count > 0 : Alternatives.Any(alternative => alternative.All(keys.Contains));

        public string Describe() => AnyKey ? $"'{Name}' (at least one key)" : $"'{Name}' with {string.Join(" or ", Alternatives.Select(a => string.Join("+", a)))}";
    }

    /// <summary>Secrets secrets.example.json documents for sources the shipped configuration does not enable (Maximo).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ExampleOnlySecrets = new Dictionary<string, IReadOnlyList<string>>
    {
        ["maximo"] = DaprNames.Secrets.MaximoRestKeys.All,
        ["maximo-export"] = DaprNames.Secrets.RemoteServerKeys.All,
    };

    public static IReadOnlyList<string> Check(string root)
    {
        var violations = new List<string>();
        var reads = AppReads(root, violations);
        var componentRefs = ComponentSecretRefs(root);
        var kubernetesRefs = KubernetesSecretRefs(root);
        var example = LoadExample(Path.Combine(root, "secrets.example.json"), violations);
        var created = KubectlSecrets(Path.Combine(root, "docs", "operations.md"));

        foreach (var read in reads)
        {
            if (!IsSecretName(read.Name))
            {
                violations.Add($"{read.App} reads secret '{read.Name}', which is not a Kubernetes secret name (DNS-1123 subdomain)");
            }
            foreach (var key in read.Alternatives.SelectMany(a => a).Distinct())
            {
                if (!IsSecretKey(key))
                {
                    violations.Add($"{read.App} reads key '{key}' of '{read.Name}', which is not a Kubernetes secret key ([-._a-zA-Z0-9]+)");
                }
            }
            CheckHeld(read, "secrets.example.json", example, violations);
            CheckHeld(read, "docs/operations.md (kubectl create secret)", created, violations);
        }

        foreach (var (name, key) in componentRefs)
        {
            if (!example.TryGetValue(name, out var keys) || !keys.Contains(key))
            {
                violations.Add($"components/ reads secretKeyRef {name}/{key}, which secrets.example.json does not hold as local.file (multiValued) serves it");
            }
        }

        foreach (var (source, secrets) in new[] { ("secrets.example.json", example), ("docs/operations.md", created) })
        {
            foreach (var (name, keys) in secrets)
            {
                if (!IsSecretName(name))
                {
                    violations.Add($"{source}: secret '{name}' is not a Kubernetes secret name");
                }
                foreach (var key in keys.Where(k => !IsSecretKey(k)))
                {
                    violations.Add($"{source}: key '{key}' of '{name}' is not a Kubernetes secret key");
                }
                var allowed = reads.Where(r => r.Name == name).SelectMany(r => r.AllowedKeys)
                    .Concat(ExampleOnlySecrets.TryGetValue(name, out var documented) ? documented : [])
                    .Concat(componentRefs.Where(r => r.Name == name).Select(r => r.Key))
                    .Concat(source == "docs/operations.md" ? kubernetesRefs.Where(r => r.Name == name).Select(r => r.Key) : [])
                    .ToHashSet(StringComparer.Ordinal);
                var anyKey = reads.Any(r => r.Name == name && r.AnyKey);
                if (allowed.Count == 0 && !anyKey)
                {
                    violations.Add($"{source}: secret '{name}' is read by no service");
                    continue;
                }
                foreach (var key in keys.Where(k => !anyKey && !allowed.Contains(k)))
                {
                    violations.Add($"{source}: key '{key}' of '{name}' is read by no service (it reads {string.Join(", ", allowed.Order(StringComparer.Ordinal))})");
                }
            }
        }
        return violations;
    }

    private static void CheckHeld(SecretRead read, string source, IReadOnlyDictionary<string, IReadOnlyCollection<string>> secrets, List<string> violations)
    {
        if (!secrets.TryGetValue(read.Name, out var keys))
        {
            violations.Add($"{read.App} reads {read.Describe()}, but {source} has no secret '{read.Name}'");
        }
        else if (!read.IsSatisfiedBy(keys))
        {
            violations.Add($"{read.App} reads {read.Describe()}, but {source} gives '{read.Name}' only {string.Join(", ", keys)}");
        }
    }

    /// <summary>What each app reads with its appsettings.json; a setting that is absent falls back to the option default.</summary>
    public static IReadOnlyList<SecretRead> AppReads(string root, List<string> violations)
    {
        var reads = new List<SecretRead>();
        var documentApi = Settings(root, "Kmrl.DocumentApi");
        reads.Add(new SecretRead(DaprNames.AppIds.DocumentApi,
            Text(documentApi, "DocumentApi", "Security", "ApiKeysSecret") ?? DaprNames.Secrets.DocumentApiApiKeys, [], []));
        // The staff sign-in's client secret (read once the entra sign-in is configured), and document-api's own entry
        // in the connectors' operator keys (the operations page reads their status).
        reads.Add(new SecretRead(DaprNames.AppIds.DocumentApi, DaprNames.Secrets.StaffSignIn,
            [[DaprNames.Secrets.StaffSignInKeys.ClientSecret]], DaprNames.Secrets.StaffSignInKeys.All));
        reads.Add(new SecretRead(DaprNames.AppIds.DocumentApi, DaprNames.Secrets.ConnectorOperatorKeys, [[DaprNames.AppIds.DocumentApi]], []));

        var email = Settings(root, "Kmrl.Connectors.Email");
        var mailboxes = Child(email, "Email", "Mailboxes");
        var index = 0;
        foreach (var mailbox in mailboxes is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray() : default)
        {
            var secret = Text(mailbox, "Secret");
            if (string.IsNullOrEmpty(secret))
            {
                violations.Add($"{DaprNames.AppIds.EmailConnector}: Email:Mailboxes:{index}:Secret is not set in appsettings.json");
            }
            else
            {
                var key = string.Equals(Text(mailbox, "Auth"), "OAuth2", StringComparison.OrdinalIgnoreCase)
                    ? DaprNames.Secrets.MailboxKeys.OAuth2Token
                    : DaprNames.Secrets.MailboxKeys.Password;
                reads.Add(new SecretRead(DaprNames.AppIds.EmailConnector, secret, [[key]], DaprNames.Secrets.MailboxKeys.All));
            }
            index++;
        }

        var sharePoint = Settings(root, "Kmrl.Connectors.SharePoint");
        reads.Add(new SecretRead(DaprNames.AppIds.SharePointConnector, Text(sharePoint, "SharePoint", "Secret") ?? DaprNames.Secrets.SharePoint,
            [DaprNames.Secrets.SharePointKeys.All], DaprNames.Secrets.SharePointKeys.All));

        var whatsApp = Settings(root, "Kmrl.Connectors.WhatsApp");
        reads.Add(new SecretRead(DaprNames.AppIds.WhatsAppConnector, Text(whatsApp, "WhatsApp", "Secret") ?? DaprNames.Secrets.WhatsApp,
            [DaprNames.Secrets.WhatsAppKeys.All], DaprNames.Secrets.WhatsAppKeys.All));

        var maximo = Settings(root, "Kmrl.Connectors.Maximo");
        foreach (var rest in Child(maximo, "Maximo", "Rest") is { ValueKind: JsonValueKind.Array } r ? r.EnumerateArray() : default)
        {
            var maxAuth = string.Equals(Text(rest, "AuthMode"), "MaxAuth", StringComparison.OrdinalIgnoreCase);
            reads.Add(new SecretRead(DaprNames.AppIds.MaximoConnector, Text(rest, "Secret") ?? string.Empty,
                [maxAuth ? [DaprNames.Secrets.MaximoRestKeys.UserName, DaprNames.Secrets.MaximoRestKeys.Password] : [DaprNames.Secrets.MaximoRestKeys.ApiKey]],
                DaprNames.Secrets.MaximoRestKeys.All));
        }
        foreach (var folder in Child(maximo, "Maximo", "ExportFolders") is { ValueKind: JsonValueKind.Array } f ? f.EnumerateArray() : default)
        {
            var sftp = string.Equals(Text(folder, "Server", "Protocol") ?? "Sftp", "Sftp", StringComparison.OrdinalIgnoreCase);
            reads.Add(new SecretRead(DaprNames.AppIds.MaximoConnector, Text(folder, "Server", "Secret") ?? string.Empty,
                sftp ? [[DaprNames.Secrets.RemoteServerKeys.PrivateKey], [DaprNames.Secrets.RemoteServerKeys.Password]] : [[DaprNames.Secrets.RemoteServerKeys.Password]],
                DaprNames.Secrets.RemoteServerKeys.All));
        }
        // Every connector's operator keys: any key of the secret is a client (as document-api's API keys).
        // The notifications service's recipients: any key is an audience (operations, a department).
        var notifications = Settings(root, "Kmrl.Notifications");
        reads.Add(new SecretRead(DaprNames.AppIds.Notifications,
            Text(notifications, "Notifications", "RecipientsSecret") ?? DaprNames.Secrets.NotificationRecipients, [], []));
        foreach (var connector in DaprNames.AppIds.Connectors)
        {
            reads.Add(new SecretRead(connector, DaprNames.Secrets.ConnectorOperatorKeys, [], []));
        }
        return reads;
    }

    /// <summary>
    /// secrets.json as local.file with multiValued "true" serves it (components-contrib secretstores/local/file/filestore.go
    /// Init): a top-level string is a secret whose one key is its name, a top-level object a secret whose members are its
    /// keys. Anything deeper would be flattened with ":" into a key Kubernetes cannot hold, so it is a violation here.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyCollection<string>> LoadExample(string file, List<string> violations)
    {
        var secrets = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        foreach (var secret in document.RootElement.EnumerateObject())
        {
            switch (secret.Value.ValueKind)
            {
                case JsonValueKind.String:
                    secrets[secret.Name] = [secret.Name];
                    break;
                case JsonValueKind.Object:
                    var keys = new List<string>();
                    foreach (var key in secret.Value.EnumerateObject())
                    {
                        if (key.Value.ValueKind != JsonValueKind.String)
                        {
                            violations.Add($"secrets.example.json: '{secret.Name}'.'{key.Name}' is not a string (local.file would flatten or reformat it)");
                        }
                        keys.Add(key.Name);
                    }
                    secrets[secret.Name] = keys;
                    break;
                default:
                    violations.Add($"secrets.example.json: '{secret.Name}' is neither a string nor an object: local.file (multiValued) drops it");
                    break;
            }
        }
        return secrets;
    }

    /// <summary>
    /// Every <c>kubectl … create secret generic NAME --from-literal=KEY=… --from-file=KEY=…</c> in the fenced code blocks of
    /// a markdown file (the commands an operator copies; inline examples in the prose are left out).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyCollection<string>> KubectlSecrets(string markdown)
    {
        var secrets = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        // Continuation lines belong to their command.
        var text = File.ReadAllText(markdown).Replace("\\\r\n", " ", StringComparison.Ordinal).Replace("\\\n", " ", StringComparison.Ordinal);
        var inCode = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }
            if (!inCode || CreateSecret().Match(line) is not { Success: true } command)
            {
                continue;
            }
            var name = command.Groups["name"].Value;
            var keys = FromOption().Matches(line).Select(m => m.Groups["key"].Value);
            secrets[name] = (secrets.TryGetValue(name, out var earlier) ? earlier : []).Concat(keys).Distinct(StringComparer.Ordinal).ToList();
        }
        return secrets;
    }

    /// <summary>
    /// Secrets k8s/ itself names: secretKeyRef (name, key) anywhere, and the injector's token annotations
    /// <c>dapr.io/api-token-secret</c> / <c>dapr.io/app-token-secret</c>, whose key is <c>token</c>.
    /// </summary>
    public static IReadOnlyList<(string Name, string Key)> KubernetesSecretRefs(string root)
    {
        var refs = new List<(string, string)>();
        var directory = Path.Combine(root, "k8s");
        if (!Directory.Exists(directory))
        {
            return refs;
        }
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml", SearchOption.AllDirectories).Order())
        {
            foreach (var document in YamlDocuments.Load(file))
            {
                Walk(document, refs);
            }
        }
        return refs;

        static void Walk(YamlNode node, List<(string, string)> refs)
        {
            switch (node)
            {
                case YamlMappingNode mapping:
                    foreach (var (key, value) in mapping.Children)
                    {
                        var name = (key as YamlScalarNode)?.Value;
                        if (name == "secretKeyRef" && value.Text("name") is { } secret)
                        {
                            refs.Add((secret, value.Text("key") ?? secret));
                        }
                        else if (name is "dapr.io/api-token-secret" or "dapr.io/app-token-secret" && value is YamlScalarNode { Value: { } token })
                        {
                            refs.Add((token, "token"));
                        }
                        Walk(value, refs);
                    }
                    break;
                case YamlSequenceNode sequence:
                    foreach (var item in sequence.Children)
                    {
                        Walk(item, refs);
                    }
                    break;
            }
        }
    }

    /// <summary>secretKeyRef (name, key; the key defaults to the name) of components/*.yaml, which daprd resolves through the local store.</summary>
    public static IReadOnlyList<(string Name, string Key)> ComponentSecretRefs(string root)
    {
        var refs = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "components"), "*.yaml").Order())
        {
            foreach (var document in YamlDocuments.Load(file))
            {
                foreach (var item in document.Child("spec").Child("metadata").Items())
                {
                    if (item.Child("secretKeyRef") is YamlMappingNode reference && reference.Text("name") is { } name)
                    {
                        refs.Add((name, reference.Text("key") ?? name));
                    }
                }
            }
        }
        return refs;
    }

    /// <summary>k8s.io/apimachinery validation IsDNS1123Subdomain: what a Secret's metadata.name must be.</summary>
    public static bool IsSecretName(string name) => name.Length is > 0 and <= 253 && Dns1123Subdomain().IsMatch(name);

    /// <summary>k8s.io/apimachinery validation IsConfigMapKey, which ValidateSecret applies to each data key.</summary>
    public static bool IsSecretKey(string key) =>
        key.Length is > 0 and <= 253 && ConfigMapKey().IsMatch(key) && key != "." && !key.StartsWith("..", StringComparison.Ordinal);

    private static JsonElement Settings(string root, string project)
    {
        var file = Path.Combine(root, "services", project, "appsettings.json");
        using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.Clone();
    }

    /// <summary>A nested setting, matched case-insensitively as IConfiguration does.</summary>
    private static JsonElement? Child(JsonElement? element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element is not { ValueKind: JsonValueKind.Object } node)
            {
                return null;
            }
            element = node.EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).LastOrDefault();
        }
        return element;
    }

    private static string? Text(JsonElement? element, params string[] path) =>
        Child(element, path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    [GeneratedRegex(@"kubectl\b.*\bcreate\s+secret\s+generic\s+(?<name>[^\s]+)")]
    private static partial Regex CreateSecret();

    [GeneratedRegex(@"--from-(?:literal|file)=(?<key>[^=\s'""]+)=")]
    private static partial Regex FromOption();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigMapKey();
}
