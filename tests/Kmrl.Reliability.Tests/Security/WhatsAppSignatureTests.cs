using System.Net;
using Kmrl.Reliability.Tests.BadInput;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.Security;

/// <summary>
/// R4 on whatsapp-connector: a forged webhook (wrong secret, tampered body, no header) is refused with 401 and
/// stores nothing, while a correctly signed one sent after them is discovered; the verify handshake needs the token.
/// </summary>
public sealed class WhatsAppSignatureTests(WhatsAppSignatureFixture fixture) : IClassFixture<WhatsAppSignatureFixture>
{
    [Fact]
    public async Task Forged_webhook_signatures_are_refused_and_nothing_is_stored()
    {
        var wrongSecret = WebhookCases.DocumentBody(fixture.Cloud, "wamid.R4.WRONGSECRET", "r4-wrong-secret.pdf");
        var original = WebhookCases.DocumentBody(fixture.Cloud, "wamid.R4.TAMPERED", "r4-tampered.pdf");
        var tampered = original.Replace("r4-tampered.pdf", "r4-tampered-evil.pdf", StringComparison.Ordinal);
        var unsigned = WebhookCases.DocumentBody(fixture.Cloud, "wamid.R4.UNSIGNED", "r4-unsigned.pdf");
        var signed = WebhookCases.DocumentBody(fixture.Cloud, "wamid.R4.SIGNED", "r4-signed.pdf");

        var outcomes = new Dictionary<string, HttpStatusCode>
        {
            ["wrong-secret"] = await fixture.DeliverAsync(wrongSecret, WebhookCases.Sign(wrongSecret, "an-attacker-secret")),
            ["tampered-body"] = await fixture.DeliverAsync(tampered, WebhookCases.Sign(original, WebhookCases.AppSecret)),
            ["missing-header"] = await fixture.DeliverAsync(unsigned, null),
            ["control-signed"] = await fixture.DeliverAsync(signed, WebhookCases.Sign(signed, WebhookCases.AppSecret)),
        };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(await fixture.DiscoveredAsync()).Any(d => d.FileName == "r4-signed.pdf") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        var discovered = await fixture.DiscoveredAsync();

        foreach (var (name, status) in outcomes)
        {
            ReliabilityReport.Record("R4", "whatsapp-connector webhook: " + name, ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
                name.StartsWith("control", StringComparison.Ordinal) ? "200" : "401");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, outcomes["wrong-secret"]);
        Assert.Equal(HttpStatusCode.Unauthorized, outcomes["tampered-body"]);
        Assert.Equal(HttpStatusCode.Unauthorized, outcomes["missing-header"]);
        Assert.Equal(HttpStatusCode.OK, outcomes["control-signed"]);
        Assert.False(await fixture.IsStoredAsync("wamid.R4.WRONGSECRET"));
        Assert.False(await fixture.IsStoredAsync("wamid.R4.TAMPERED"));
        Assert.False(await fixture.IsStoredAsync("wamid.R4.UNSIGNED"));
        // The control shows the check looks where an accepted webhook stores.
        Assert.True(await fixture.IsStoredAsync("wamid.R4.SIGNED"));
        Assert.Equal(["r4-signed.pdf"], discovered.Select(d => d.FileName));
        Assert.Equal(0, fixture.Cloud.LookupsOf("media-wamid.R4.WRONGSECRET") + fixture.Cloud.LookupsOf("media-wamid.R4.TAMPERED") + fixture.Cloud.LookupsOf("media-wamid.R4.UNSIGNED"));
    }

    [Theory]
    [InlineData("wrong-verify-token", "subscribe", "guess", HttpStatusCode.Forbidden)]
    [InlineData("no-verify-token", "subscribe", "", HttpStatusCode.Forbidden)]
    [InlineData("wrong-mode", "unsubscribe", WhatsAppSignatureFixture.VerifyToken, HttpStatusCode.Forbidden)]
    [InlineData("control-right-verify-token", "subscribe", WhatsAppSignatureFixture.VerifyToken, HttpStatusCode.OK)]
    public async Task The_webhook_verification_handshake_needs_the_verify_token(string caseName, string mode, string token, HttpStatusCode expected)
    {
        using var response = await fixture.Http.GetAsync(
            $"/webhooks/whatsapp?hub.mode={mode}&hub.verify_token={Uri.EscapeDataString(token)}&hub.challenge=r4-challenge-1158");
        var body = await response.Content.ReadAsStringAsync();

        ReliabilityReport.Record("R4", "whatsapp-connector verify: " + caseName, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK, body == "r4-challenge-1158");
    }
}
