using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Ports;

/// <summary>The current classification and routing rules (re-read when KMRL edits the file).</summary>
public interface IClassificationRules
{
    ClassificationRuleSet Current { get; }
}
