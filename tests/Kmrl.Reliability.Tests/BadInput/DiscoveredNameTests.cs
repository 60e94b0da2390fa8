extern alias documentapi;

using Kmrl.Contracts;
using DocumentIntake = documentapi::Kmrl.DocumentApi.Model.DocumentIntake;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// The connectors hand names on as their sources give them (email-connector's corpus shows CR/LF from an RFC 2231
/// name reaching DocumentDiscovered); document-api makes them safe when a discovery becomes an intake.
/// </summary>
public sealed class DiscoveredNameTests
{
    [Theory]
    [InlineData("evil\r\nname.pdf", "evilname.pdf")]
    [InlineData("..\\..\\windows\\win.ini.pdf", "win.ini.pdf")]
    [InlineData("../../etc/cron.d/job.pdf", "job.pdf")]
    [InlineData("invoice\u202Efdp.exe.pdf", "invoicefdp.exe.pdf")]
    [InlineData("\u0000\u0007", "unnamed")]
    [InlineData("ജോലി\u200Dക്രമം.pdf", "ജോലി\u200Dക്രമം.pdf")]
    public void A_discovered_name_is_made_safe_at_intake(string sent, string catalogued)
    {
        var discovered = new DocumentDiscovered("key-0123456789abcdef0123456789abcdef", DocumentSources.Email, "r3/INBOX/mid-1/2", sent,
            "application/pdf", 10, "ab", new BlobReference("email-r3", 10, "ab", 1, 1024), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);

        Assert.Equal(catalogued, DocumentIntake.FromDiscovered(discovered).FileName);
    }
}
