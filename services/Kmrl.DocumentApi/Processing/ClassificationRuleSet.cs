using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The rules file KMRL edits: each rule matches on keywords (English and Malayalam), sender domains, sources or
/// file names, and votes for a document type and/or departments. Types may imply departments.
/// </summary>
public sealed class ClassificationRuleSet
{
    public int Version { get; set; } = 1;

    public string DefaultType { get; set; } = "other";

    /// <summary>Document type id → departments that always receive that type.</summary>
    public Dictionary<string, List<string>> TypeDepartments { get; set; } = [];

    public List<string> Departments { get; set; } = [];

    public List<ClassificationRule> Rules { get; set; } = [];

    public static ClassificationRuleSet Parse(string yaml)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .Build();
        var rules = deserializer.Deserialize<ClassificationRuleSet?>(yaml) ?? new ClassificationRuleSet();
        foreach (var rule in rules.Rules)
        {
            // Keywords typed with the old chillu encoding must still match normalised text.
            rule.Keywords = rule.Keywords.Select(MalayalamText.Normalise).ToList();
        }
        rules.Validate();
        return rules;
    }

    /// <summary>Refuses a file that names unknown departments or duplicate rule ids: a typo must not silently stop routing.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        var known = Departments.ToHashSet(StringComparer.Ordinal);
        foreach (var duplicate in Rules.GroupBy(r => r.Id).Where(g => g.Count() > 1))
        {
            errors.Add($"rule id '{duplicate.Key}' is used {duplicate.Count()} times");
        }
        foreach (var rule in Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Id)) errors.Add("a rule has no id");
            if (rule.Type is null && rule.Departments.Count == 0) errors.Add($"rule '{rule.Id}' sets neither type nor departments");
            if (rule.Keywords.Count == 0 && rule.SenderDomains.Count == 0 && rule.Sources.Count == 0 && rule.FileNameContains.Count == 0)
                errors.Add($"rule '{rule.Id}' has nothing to match on");
            errors.AddRange(rule.Departments.Where(d => !known.Contains(d)).Select(d => $"rule '{rule.Id}' names unknown department '{d}'"));
        }
        foreach (var (type, departments) in TypeDepartments)
        {
            errors.AddRange(departments.Where(d => !known.Contains(d)).Select(d => $"type '{type}' names unknown department '{d}'"));
        }
        if (errors.Count > 0)
        {
            throw new InvalidDataException("Invalid classification rules: " + string.Join("; ", errors));
        }
    }
}

public sealed class ClassificationRule
{
    [YamlMember(Alias = "id")]
    public string Id { get; set; } = string.Empty;

    public string? Type { get; set; }

    public List<string> Departments { get; set; } = [];

    /// <summary>Case-insensitive; a Latin keyword must stand as whole words, a Malayalam one may take suffixes.</summary>
    public List<string> Keywords { get; set; } = [];

    /// <summary>Keyword hits needed for the rule to match.</summary>
    public int MinHits { get; set; } = 1;

    public List<string> SenderDomains { get; set; } = [];

    public List<string> Sources { get; set; } = [];

    public List<string> FileNameContains { get; set; } = [];

    /// <summary>How much a match of this rule counts towards its type.</summary>
    public double Weight { get; set; } = 1;
}
