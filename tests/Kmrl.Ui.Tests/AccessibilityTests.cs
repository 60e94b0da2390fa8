using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace Kmrl.Ui.Tests;

/// <summary>axe-core (Deque's rules engine, the field's own accessibility check) on every staff page, in both languages.</summary>
[Collection(StaffPagesCollection.Name)]
public sealed class AccessibilityTests(StaffPagesFixture fixture)
{
    [Theory]
    [InlineData("en")]
    [InlineData("ml")]
    public async Task Every_page_has_no_serious_accessibility_violation_in_either_language(string culture)
    {
        var page = await fixture.SignInAsync("Asha", ["department-admin", "operations"], "safety");
        var violations = new List<string>();
        foreach (var path in new[] { "/ui/search?q=safety", $"/ui/documents/{fixture.CircularId}", "/ui/inbox?department=safety", "/ui/upload", "/ui/operations" })
        {
            await page.GotoAsync(path + (path.Contains('?') ? "&" : "?") + "culture=" + culture);
            var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21aa"] } });
            violations.AddRange(result.Violations
                .Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{path}: {v.Id} ({v.Impact}) {string.Join("; ", v.Nodes.Select(n => string.Join(" ", n.Target)))}"));
        }
        await page.Context.CloseAsync();

        Assert.Empty(violations);
    }
}
