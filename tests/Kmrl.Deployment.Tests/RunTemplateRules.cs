using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// `dapr run -f .` as the CLI and daprd carry it out, checked without running them:
/// <list type="bullet">
/// <item>The CLI resolves the template's own paths (resourcesPaths, configFilePath) from the template's folder and
/// per-app paths from appDirPath (dapr/cli pkg/runfileconfig/run_file_config_parser.go validateRunConfig), then
/// starts daprd and the app with their working directory set to appDirPath (cmd/run.go, daprCMD.Command.Dir and
/// appCmd.Command.Dir = app.AppDirPath).</item>
/// <item>Components open relative paths in their metadata from that working directory: secretstores.local.file
/// os.Opens secretsFile as given, bindings.localstorage makes rootPath absolute with os.Getwd()
/// (components-contrib secretstores/local/file/filestore.go, bindings/localstorage/localstorage.go).</item>
/// </list>
/// </summary>
public static partial class RunTemplateRules
{
    /// <summary>
    /// The runtime the README tells a new user to install. The .NET SDK 1.19 (Directory.Packages.props DaprVersion)
    /// is released with runtime 1.19, which the reviewed sources did not yet hold; 1.18.3 is the newest runtime tag
    /// they did. It is above every floor the code has: GetInstanceHistory (the /events endpoint) exists from 1.17
    /// (durabletask-go v0.11, dapr v1.17 wfengine backends/actors), workflow.stateRetentionPolicy from 1.17 and as
    /// duration strings in the Kubernetes CRD from 1.17.2 (dapr/dapr#9612), and from 1.18 the SDK's worker no
    /// longer needs its deprecated CompleteOrchestratorTask fallback (dotnet-sdk GrpcProtocolHandler).
    /// </summary>
    public const string MinimumRuntimeVersion = "1.18.3";

    /// <summary>Component metadata that names a file or folder, by component type.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> PathFields = new Dictionary<string, string[]>
    {
        ["secretstores.local.file"] = ["secretsFile"],
        ["bindings.localstorage"] = ["rootPath"],
    };

    public static IReadOnlyList<string> Check(string root)
    {
        var violations = new List<string>();
        var templatePath = Path.Combine(root, "dapr.yaml");
        var template = YamlDocuments.Load(templatePath).Single();
        var common = template.Child("common");
        var apps = template.Child("apps").Items().ToList();

        CheckPaths(root, common, apps, violations);
        CheckBuildOnce(root, common, apps, violations);
        CheckLogs(common, apps, violations);
        CheckConfigFiles(root, common, apps, violations);
        CheckRuntimeVersion(root, violations);
        return violations;
    }

    /// <summary>Where each app's sidecar opens each path-like component field.</summary>
    public static IEnumerable<(string AppId, string Component, string Field, string Resolved)> ResolvedComponentPaths(
        string root, YamlNode? common, IEnumerable<YamlNode> apps)
    {
        foreach (var app in apps)
        {
            var appId = app.Text("appID") ?? string.Empty;
            var workingDirectory = Path.GetFullPath(Path.Combine(root, app.Text("appDirPath") ?? "."));
            var resourcePaths = app.Child("resourcesPaths").Strings().Select(p => Path.Combine(workingDirectory, p)).ToList();
            if (resourcePaths.Count == 0)
            {
                resourcePaths = common.Child("resourcesPaths").Strings().Select(p => Path.Combine(root, p)).ToList();
            }
            foreach (var component in resourcePaths.Where(Directory.Exists)
                         .SelectMany(dir => DaprResourceRules.LoadComponents(dir, [])))
            {
                if (component.Scopes.Count > 0 && !component.Scopes.Contains(appId))
                {
                    continue;
                }
                if (!PathFields.TryGetValue(component.Type, out var fields))
                {
                    continue;
                }
                foreach (var item in component.Node.Child("spec").Child("metadata").Items().Where(i => fields.Contains(i.Text("name"))))
                {
                    var value = item.Text("value") ?? string.Empty;
                    yield return (appId, component.Name, item.Text("name")!, Path.GetFullPath(Path.Combine(workingDirectory, value)));
                }
            }
        }
    }

    private static void CheckPaths(string root, YamlNode? common, List<YamlNode> apps, List<string> violations)
    {
        var expected = new Dictionary<string, string>
        {
            ["secretsFile"] = Path.GetFullPath(Path.Combine(root, "secrets.json")),
            ["rootPath"] = Path.GetFullPath(Path.Combine(root, ".data", "blobs")),
        };
        var resolved = ResolvedComponentPaths(root, common, apps).ToList();
        foreach (var (appId, component, field, path) in resolved)
        {
            if (expected.TryGetValue(field, out var want) && path != want)
            {
                violations.Add($"dapr.yaml: app '{appId}' opens {component}.{field} at '{Path.GetRelativePath(root, path)}', not '{Path.GetRelativePath(root, want)}' (daprd's working directory is the app's appDirPath)");
            }
        }
        // A relative path in a component this table does not know would be opened from appDirPath too, unchecked.
        foreach (var component in DaprResourceRules.LoadComponents(Path.Combine(root, "components"), []).Where(c => !PathFields.ContainsKey(c.Type)))
        {
            foreach (var item in component.Node.Child("spec").Child("metadata").Items()
                         .Where(i => i.Text("value") is { } value && (value.StartsWith("./", StringComparison.Ordinal) || value.StartsWith("../", StringComparison.Ordinal))))
            {
                violations.Add($"components/{component.File}: '{item.Text("name")}' of '{component.Name}' ({component.Type}) looks like a relative path; add the field to RunTemplateRules.PathFields so it is resolved from appDirPath and checked");
            }
        }
        foreach (var field in resolved.GroupBy(r => r.Field).Where(g => g.Select(r => r.Resolved).Distinct().Count() > 1))
        {
            violations.Add($"dapr.yaml: the apps open {field.Key} at different places ({string.Join(", ", field.Select(r => $"{r.AppId}: {Path.GetRelativePath(root, r.Resolved)}").Distinct())}); they must share one");
        }
    }

    /// <summary>Five concurrent builds of the shared projects race on obj/ and bin/ (dotnet/sdk#6533): build once, run with --no-build.</summary>
    private static void CheckBuildOnce(string root, YamlNode? common, List<YamlNode> apps, List<string> violations)
    {
        var readme = ReadOrEmpty(Path.Combine(root, "README.md"));
        var build = BuildStep().Match(readme);
        // The command as typed (a line of a shell block), not a mention of it in prose or a table.
        var runCommand = RunCommand().Match(readme);
        var run = runCommand.Success ? runCommand.Index : -1;
        if (!build.Success || run < 0 || build.Index > run)
        {
            violations.Add("README.md: no `dotnet build Kmrl.Dapr.sln` step before `dapr run -f .` (dapr.yaml runs the apps with --no-build)");
        }
        var built = build.Success ? ConfigurationOf(build.Value) : null;
        foreach (var app in apps)
        {
            var appId = app.Text("appID");
            var command = app.Child("command").Strings().ToList();
            if (command.Count < 2 || command[0] != "dotnet" || command[1] != "run")
            {
                continue;
            }
            if (!command.Contains("--no-build"))
            {
                violations.Add($"dapr.yaml: app '{appId}' runs `dotnet run` without --no-build (parallel builds of the shared projects race)");
            }
            if (built is not null && ConfigurationOf(string.Join(' ', command)) != built)
            {
                violations.Add($"dapr.yaml: app '{appId}' runs configuration {ConfigurationOf(string.Join(' ', command))}, but the README builds {built}");
            }
        }
    }

    private static void CheckLogs(YamlNode? common, List<YamlNode> apps, List<string> violations)
    {
        foreach (var app in apps)
        {
            // An app's own value wins over common's (mergeCommonAndAppsSharedRunConfig); the CLI's default is file.
            var destination = app.Text("daprdLogDestination") ?? common.Text("daprdLogDestination") ?? "file";
            if (destination is not ("console" or "fileAndConsole"))
            {
                violations.Add($"dapr.yaml: daprd logs of '{app.Text("appID")}' go to '{destination}' only; a sidecar that exits at start-up would not show in the terminal");
            }
        }
    }

    private static void CheckConfigFiles(string root, YamlNode? common, List<YamlNode> apps, List<string> violations)
    {
        var files = new List<(string Where, string Path)>();
        if (common.Text("configFilePath") is { } shared)
        {
            files.Add(("common", Path.Combine(root, shared)));
        }
        foreach (var app in apps)
        {
            if (app.Text("configFilePath") is { } own)
            {
                files.Add((app.Text("appID") ?? "app", Path.Combine(root, app.Text("appDirPath") ?? ".", own)));
            }
        }
        foreach (var (where, path) in files)
        {
            if (!File.Exists(path))
            {
                violations.Add($"dapr.yaml: configFilePath of {where} ('{Path.GetRelativePath(root, path)}') does not exist");
                continue;
            }
            foreach (var document in YamlDocuments.Load(path))
            {
                foreach (var problem in CrdSchema.Configuration.Validate(document))
                {
                    violations.Add($"{Path.GetRelativePath(root, path)}: {problem}");
                }
            }
        }
    }

    /// <summary>One runtime version, stated where a new user and an operator read it.</summary>
    private static void CheckRuntimeVersion(string root, List<string> violations)
    {
        var minor = string.Join('.', MinimumRuntimeVersion.Split('.').Take(2));
        var documents = new[] { "README.md", Path.Combine("docs", "operations.md") };
        foreach (var document in documents)
        {
            var text = ReadOrEmpty(Path.Combine(root, document));
            if (!text.Contains("--runtime-version " + MinimumRuntimeVersion, StringComparison.Ordinal))
            {
                violations.Add($"{document}: does not install runtime {MinimumRuntimeVersion} (`--runtime-version {MinimumRuntimeVersion}`)");
            }
            foreach (Match other in RuntimeVersion().Matches(text))
            {
                if (other.Groups["version"].Value != MinimumRuntimeVersion)
                {
                    violations.Add($"{document}: names runtime {other.Groups["version"].Value}, not {MinimumRuntimeVersion}");
                }
            }
            foreach (Match claim in VersionClaim().Matches(text))
            {
                if (claim.Groups["minor"].Value != minor)
                {
                    violations.Add($"{document}: claims '{claim.Value}', but the tested minimum is {minor}");
                }
            }
        }
    }

    private static string ConfigurationOf(string command)
    {
        var match = ConfigurationOption().Match(command);
        return match.Success ? match.Groups["configuration"].Value : "Debug";
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    [GeneratedRegex(@"dotnet build Kmrl\.Dapr\.sln[^\n`#]*")]
    private static partial Regex BuildStep();

    [GeneratedRegex(@"^dapr run -f \.", RegexOptions.Multiline)]
    private static partial Regex RunCommand();

    [GeneratedRegex(@"(?:-c|--configuration)[ =](?<configuration>\w+)")]
    private static partial Regex ConfigurationOption();

    [GeneratedRegex(@"--runtime-version[ =](?<version>\d+\.\d+\.\d+)")]
    private static partial Regex RuntimeVersion();

    [GeneratedRegex(@"Dapr(?: CLI| runtime)? (?<minor>\d+\.\d+)\+")]
    private static partial Regex VersionClaim();
}
