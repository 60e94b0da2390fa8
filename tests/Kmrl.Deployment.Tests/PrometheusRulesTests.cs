using System.Text.RegularExpressions;
using Kmrl.Testing.Servers;
using YamlDotNet.RepresentationModel;

namespace Kmrl.Deployment.Tests;

/// <summary>
/// k8s/monitoring/prometheus-rules.yaml checked and unit-tested with Debian's promtool: the PrometheusRule's groups are
/// written out as a plain rule file, then <c>promtool check rules</c> and <c>promtool test rules</c> run against
/// k8s/monitoring/tests/alerts.test.yaml, whose series are shaped as the apps' /metrics serves them.
/// </summary>
public sealed partial class PrometheusRulesTests
{
    private static string Monitoring => Path.Combine(RepositoryRoot.Find(), "k8s", "monitoring");

    [Fact]
    public async Task The_alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        using var work = new TempDirectory("promtool");
        var rules = WriteRuleFile(work.Path, File.ReadAllText(Path.Combine(Monitoring, "prometheus-rules.yaml")));

        var check = await Shell.RunAsync("promtool", ["check", "rules", rules], "prometheus");
        var test = await Shell.RunAsync("promtool", ["test", "rules", CopyTests(work.Path)], "prometheus");

        Assert.Contains("SUCCESS: 6 rules found", check);
        Assert.Contains("SUCCESS", test);
    }

    [Fact]
    public async Task A_rule_that_no_longer_fires_when_it_should_fails_the_unit_tests()
    {
        using var work = new TempDirectory("promtool");
        var text = File.ReadAllText(Path.Combine(Monitoring, "prometheus-rules.yaml")).Replace("(kmrl_connector_lag_seconds) > 1200", "(kmrl_connector_lag_seconds) > 12000", StringComparison.Ordinal);
        WriteRuleFile(work.Path, text);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Shell.RunAsync("promtool", ["test", "rules", CopyTests(work.Path)], "prometheus"));

        Assert.Contains("KmrlConnectorNoSuccessfulRun", failure.Message);
    }

    [Fact]
    public async Task An_ocr_failure_rate_rule_that_waits_for_one_page_in_three_fails_its_unit_test()
    {
        using var work = new TempDirectory("promtool");
        var text = File.ReadAllText(Path.Combine(Monitoring, "prometheus-rules.yaml"));
        var mutated = text.Replace("sum(increase(kmrl_pipeline_ocr_pages_total[30m])) > 0.2", "sum(increase(kmrl_pipeline_ocr_pages_total[30m])) > 0.34", StringComparison.Ordinal);
        Assert.NotEqual(text, mutated);
        WriteRuleFile(work.Path, mutated);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Shell.RunAsync("promtool", ["test", "rules", CopyTests(work.Path)], "prometheus"));

        Assert.Contains("KmrlOcrFailureRateHigh", failure.Message);
    }

    [Fact]
    public void Every_kmrl_series_the_rules_and_the_dashboard_use_is_an_instrument_a_service_creates()
    {
        var rules = File.ReadAllText(Path.Combine(Monitoring, "prometheus-rules.yaml")) + File.ReadAllText(Path.Combine(Monitoring, "kmrl-dashboard.json"));
        var code = string.Join("\n", Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Find(), "services"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));

        // Labels (kmrl_connector, kmrl_source...) appear as $labels.x, {{x}}, x="..." or in a by (x, y) list.
        var labels = LabelName().Matches(rules).Select(m => m.Groups["label"].Value).ToHashSet(StringComparer.Ordinal);
        var series = PrometheusName().Matches(rules).Select(m => m.Value).Where(name => !labels.Contains(name)).Distinct().ToList();

        Assert.NotEmpty(series);
        foreach (var name in series)
        {
            // The exporter's translation backwards: _total (counters), a histogram's _bucket/_count/_sum and _seconds
            // (unit s) go; each '_' was '.' or '_'.
            var instrument = Regex.Replace(name, "(_seconds)?(_total|_bucket|_count|_sum)?$", "");
            var pattern = "\"" + string.Join("[._]", instrument.Split('_').Select(Regex.Escape)) + "\"";
            Assert.True(Regex.IsMatch(code, pattern), $"{name}: no instrument in services/ is named like {instrument}");
        }
    }

    private static string WriteRuleFile(string directory, string prometheusRule)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(prometheusRule));
        var groups = ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("spec")];
        var file = new YamlDocument(new YamlMappingNode(new YamlScalarNode("groups"), ((YamlMappingNode)groups).Children[new YamlScalarNode("groups")]));
        var path = Path.Combine(directory, "kmrl-alerts.rules.yaml");
        using (var writer = new StreamWriter(path))
        {
            new YamlStream(file).Save(writer, assignAnchors: false);
        }
        return path;
    }

    private static string CopyTests(string directory)
    {
        var path = Path.Combine(directory, "alerts.test.yaml");
        File.Copy(Path.Combine(Monitoring, "tests", "alerts.test.yaml"), path);
        return path;
    }

    [GeneratedRegex(@"\bkmrl_[a-z_]+")]
    private static partial Regex PrometheusName();

    [GeneratedRegex(@"(\$labels\.|\{\{|by \(|, )(?<label>kmrl_[a-z_]+)|\b(?<label>kmrl_[a-z_]+)\s*(=|,|\}\})")]
    private static partial Regex LabelName();
}
