using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using static Microsoft.Playwright.Assertions;

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

    [Fact]
    public async Task On_a_phone_no_page_scrolls_sideways_and_a_search_is_done_with_the_keyboard_alone()
    {
        var page = await fixture.SignInAsync("Asha", ["department-admin", "operations"], "safety");
        // A small phone held upright (station staff): 360 CSS pixels wide.
        await page.SetViewportSizeAsync(360, 740);
        var overflowing = new List<string>();
        foreach (var path in new[] { "/ui/search?q=safety", $"/ui/documents/{fixture.CircularId}", "/ui/inbox?department=safety", "/ui/upload", "/ui/operations" })
        {
            await page.GotoAsync(path);
            var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            if (width > 360) overflowing.Add($"{path}: {width}px");
        }
        Assert.Empty(overflowing);

        // Keyboard only: the skip link first, then into the search field, Enter submits.
        await page.GotoAsync("/ui/search");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator(":focus")).ToHaveAttributeAsync("href", "#main");
        await page.Locator("#q").FocusAsync();
        await page.Keyboard.InsertTextAsync("സർക്കുലർ");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator($"li[data-document='{fixture.CircularId}']")).ToBeVisibleAsync();
        await fixture.ScreenshotAsync(page, "search-phone");
        await page.Context.CloseAsync();
    }
}
