using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// Looks for credentials committed by mistake: key material, cloud keys, tokens, and values in the secrets
/// template that are not placeholders. Tests that need keys generate them at run time instead.
/// </summary>
public static partial class SecretScanner
{
    public static IReadOnlyList<string> ScanTrackedFiles(string root)
    {
        var findings = new List<string>();
        foreach (var relative in TrackedFiles(root))
        {
            var path = Path.Combine(root, relative);
            if (!File.Exists(path) || new FileInfo(path).Length > 2 * 1024 * 1024)
            {
                continue;
            }
            findings.AddRange(Scan(relative, File.ReadAllText(path)));
        }
        return findings;
    }

    public static IEnumerable<string> Scan(string name, string content)
    {
        foreach (var (pattern, what) in Patterns)
        {
            if (pattern.IsMatch(content))
            {
                yield return $"{name}: looks like {what}";
            }
        }
        if (name.EndsWith("secrets.example.json", StringComparison.Ordinal))
        {
            foreach (var finding in ScanTemplate(name, content))
            {
                yield return finding;
            }
        }
    }

    private static IEnumerable<string> ScanTemplate(string name, string content)
    {
        using var document = JsonDocument.Parse(content);
        var pending = new Stack<(string Path, JsonElement Element)>([("", document.RootElement)]);
        while (pending.TryPop(out var current))
        {
            if (current.Element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in current.Element.EnumerateObject())
                {
                    pending.Push(($"{current.Path}:{property.Name}", property.Value));
                }
            }
            else if (current.Element.ValueKind == JsonValueKind.String && !IsPlaceholder(current.Element.GetString()!))
            {
                yield return $"{name}: '{current.Path.TrimStart(':')}' holds a value that is not a placeholder";
            }
        }
    }

    private static bool IsPlaceholder(string value) =>
        value.Length == 0 || value.Contains("replace", StringComparison.OrdinalIgnoreCase) || value.All(c => c is '0' or '-');

    private static IEnumerable<string> TrackedFiles(string root)
    {
        var git = Process.Start(new ProcessStartInfo("git", ["-C", root, "ls-files", "-z"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    private static readonly (Regex Pattern, string What)[] Patterns =
    [
        (PrivateKey(), "a private key"),
        (AwsAccessKey(), "an AWS access key id"),
        (AzureAccountKey(), "an Azure storage account key"),
        (MetaAccessToken(), "a Meta (WhatsApp) access token"),
        (SlackOrGitHubToken(), "a Slack or GitHub token"),
    ];

    [GeneratedRegex("-----BEGIN (RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\bAKIA[0-9A-Z]{16}\b")]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"AccountKey=[A-Za-z0-9+/]{40,}={0,2}")]
    private static partial Regex AzureAccountKey();

    [GeneratedRegex(@"\bEAA[A-Za-z0-9]{60,}")]
    private static partial Regex MetaAccessToken();

    [GeneratedRegex(@"\b(xox[abpr]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{36,})")]
    private static partial Regex SlackOrGitHubToken();
}
