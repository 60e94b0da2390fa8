namespace Kmrl.Deployment.Tests;

/// <summary>Component metadata that loads but misbehaves, per components-contrib's own metadata and init code.</summary>
public static class ComponentRules
{
    public static void Check(string label, IReadOnlyList<DaprResourceRules.Component> components, List<string> violations)
    {
        var production = label.EndsWith("production", StringComparison.Ordinal);
        foreach (var component in components)
        {
            var where = $"{label}: component '{component.Name}' ({component.Type})";
            var metadata = component.Node.Child("spec").Child("metadata").Items()
                .ToDictionary(item => item.Text("name") ?? string.Empty, item => item.Text("value"));
            switch (component.Type)
            {
                // InitLockStore refuses any failover setting and a server that reports connected replicas
                // (lock/redis/standalone.go): the connectors' daprd would exit.
                case "lock.redis":
                    if (metadata.GetValueOrDefault("failover") is { } failover && bool.TryParse(failover, out var on) && on)
                    {
                        violations.Add($"{where}: failover is set, which lock.redis refuses at start-up");
                    }
                    var host = metadata.GetValueOrDefault("redisHost");
                    var shared = components.Where(c => c != component && c.Type.EndsWith(".redis", StringComparison.Ordinal))
                        .Where(c => c.Node.Child("spec").Child("metadata").Items().Any(i => i.Text("name") == "redisHost" && i.Text("value") == host))
                        .Select(c => c.Name).ToList();
                    if (production && shared.Count > 0)
                    {
                        violations.Add($"{where}: shares the production Redis {host} with {string.Join(", ", shared)}; lock.redis refuses a Redis with replicas, so locks need their own standalone Redis");
                    }
                    break;
                // bindings/aws/s3/metadata.yaml: endpoint is for S3-compatible services, "Do not use this when running
                // against production AWS"; forcePathStyle only matters with such an endpoint.
                case "bindings.aws.s3":
                    if (metadata.GetValueOrDefault("endpoint") is { } endpoint && endpoint.Contains("amazonaws.com", StringComparison.OrdinalIgnoreCase))
                    {
                        violations.Add($"{where}: endpoint {endpoint} is AWS itself; components-contrib says to set endpoint only for S3-compatible services");
                    }
                    if (metadata.ContainsKey("forcePathStyle") && !metadata.ContainsKey("endpoint"))
                    {
                        violations.Add($"{where}: forcePathStyle without an S3-compatible endpoint");
                    }
                    RequireDecodeBase64(where, metadata, violations);
                    break;
                case "bindings.azure.blobstorage":
                    RequireDecodeBase64(where, metadata, violations);
                    break;
            }
        }
    }

    /// <summary>The claim check sends each chunk as base64 in a JSON string; these bindings store it decoded only when told to.</summary>
    private static void RequireDecodeBase64(string where, Dictionary<string, string?> metadata, List<string> violations)
    {
        if (!string.Equals(metadata.GetValueOrDefault("decodeBase64"), "true", StringComparison.OrdinalIgnoreCase))
        {
            violations.Add($"{where}: decodeBase64 is not \"true\"; the stored objects would hold the base64 text, not the content");
        }
    }
}
