using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// The rules file, re-read when its write time changes: KMRL edits it without a rebuild or restart. A broken edit
/// keeps the last good rules (and is logged) rather than stopping classification.
/// </summary>
public sealed partial class YamlClassificationRules : IClassificationRules
{
    private readonly string _path;
    private readonly ILogger<YamlClassificationRules> _logger;
    private readonly Lock _gate = new();
    private ClassificationRuleSet _rules;
    private DateTime _loadedWriteTime;

    public YamlClassificationRules(IOptions<DocumentProcessingOptions> options, ILogger<YamlClassificationRules> logger)
    {
        _logger = logger;
        _path = ResolvePath(options.Value.RulesPath);
        // The first load must succeed: a service with no rules would route nothing.
        _loadedWriteTime = File.GetLastWriteTimeUtc(_path);
        _rules = ClassificationRuleSet.Parse(File.ReadAllText(_path));
    }

    public string FilePath => _path;

    public static string ResolvePath(string path) => Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);

    public ClassificationRuleSet Current
    {
        get
        {
            var writeTime = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : _loadedWriteTime;
            if (writeTime == _loadedWriteTime) return _rules;
            lock (_gate)
            {
                if (writeTime == _loadedWriteTime) return _rules;
                try
                {
                    _rules = ClassificationRuleSet.Parse(File.ReadAllText(_path));
                    LogReloaded(_logger, _path, _rules.Rules.Count);
                }
                catch (Exception ex) when (ex is InvalidDataException or YamlDotNet.Core.YamlException or IOException)
                {
                    LogReloadFailed(_logger, ex, _path);
                }
                _loadedWriteTime = writeTime;
                return _rules;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded classification rules from {Path}: {RuleCount} rules")]
    private static partial void LogReloaded(ILogger logger, string path, int ruleCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Classification rules in {Path} are invalid; keeping the previous rules")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string path);
}
