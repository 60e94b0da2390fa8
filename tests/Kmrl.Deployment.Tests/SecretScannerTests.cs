namespace Kmrl.Deployment.Tests;

public sealed class SecretScannerTests
{
    [Fact]
    public void No_tracked_file_holds_a_credential()
    {
        var findings = SecretScanner.ScanTrackedFiles(RepositoryRoot.Find());

        Assert.Empty(findings);
    }

    // The samples are assembled at run time so that this file does not itself look like a leak.
    public static TheoryData<string, string> Leaks => new()
    {
        { "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "a private key" },
        { "aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLE", "an AWS access key id" },
        { "DefaultEndpointsProtocol=https;AccountName=kmrl;Account" + "Key=" + new string('K', 86) + "==", "an Azure storage account key" },
        { "token: " + "EAA" + new string('Z', 80), "a Meta (WhatsApp) access token" },
    };

    [Theory]
    [MemberData(nameof(Leaks))]
    public void Key_material_in_a_file_is_found(string content, string what)
    {
        var findings = SecretScanner.Scan("services/leak.txt", content);

        Assert.Contains($"services/leak.txt: looks like {what}", findings);
    }

    [Fact]
    public void A_real_value_in_the_secrets_template_is_found_and_placeholders_are_not()
    {
        var findings = SecretScanner.Scan("secrets.example.json",
            """{ "redis-password": "", "whatsapp": { "app-secret": "replace-me", "access-token": "c0ffee42" } }""");

        Assert.Equal(["secrets.example.json: 'whatsapp:access-token' holds a value that is not a placeholder"], findings);
    }
}
