using System.Globalization;
using System.Net;
using Kmrl.Reliability.Tests.BadInput;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.Security;

/// <summary>
/// R4 on document-api's production Program over the test sidecar (API keys in its secret store, APP_API_TOKEN set):
/// no key or a wrong key is 401, a right key without the role is 403, sidecar routes need the dapr-api-token; all as
/// ProblemDetails. The right key with the right role is the control. The committed-secret scan and the component
/// scope rules are tests/Kmrl.Deployment.Tests' (not repeated here).
/// </summary>
public sealed class DocumentApiSecurityTests(DocumentApiSecurityFixture fixture) : IClassFixture<DocumentApiSecurityFixture>
{
    private const string Full = "Bearer " + DocumentApiHost.UploadReadKey;
    private const string ReadOnly = "Bearer " + DocumentApiHost.ReadOnlyKey;
    private const string UploadOnly = "Bearer " + DocumentApiHost.UploadOnlyKey;
    private const string Wrong = "Bearer reliability-wrong-key-000000000";

    public static IReadOnlyList<AccessCase> All { get; } =
    [
        new("upload-without-token", "401:problem", HttpMethod.Post, "/documents", Upload: true),
        new("upload-with-wrong-token", "401:problem", HttpMethod.Post, "/documents", Wrong, Upload: true),
        new("upload-with-empty-bearer", "401:problem", HttpMethod.Post, "/documents", "Bearer ", Upload: true),
        new("upload-with-key-in-basic-scheme", "401:problem", HttpMethod.Post, "/documents", "Basic " + DocumentApiHost.UploadReadKey, Upload: true),
        new("upload-with-read-only-key", "403:problem", HttpMethod.Post, "/documents", ReadOnly, Upload: true),
        // Issue 18: the placeholder keys of secrets.example.json worked as real keys.
        new("upload-with-the-placeholder-key-of-secrets-example-json", "401:problem", HttpMethod.Post, "/documents", "Bearer " + DocumentApiHost.PlaceholderKey, Upload: true),
        new("reprocess-with-read-only-key", "403:problem", HttpMethod.Post, "/documents/{id}/reprocess", ReadOnly),
        new("replay-dead-letter-with-read-only-key", "403:problem", HttpMethod.Post, "/dead-letters/x/replay", ReadOnly),
        new("read-without-token", "401:problem", HttpMethod.Get, "/documents/{id}"),
        new("read-with-wrong-token", "401:problem", HttpMethod.Get, "/documents/{id}", Wrong),
        new("read-with-upload-only-key", "403:problem", HttpMethod.Get, "/documents/{id}", UploadOnly),
        new("content-without-token", "401:problem", HttpMethod.Get, "/documents/{id}/content"),
        new("content-with-upload-only-key", "403:problem", HttpMethod.Get, "/documents/{id}/content", UploadOnly),
        new("list-with-wrong-token", "401:problem", HttpMethod.Get, "/documents", Wrong),
        new("dead-letters-without-token", "401:problem", HttpMethod.Get, "/dead-letters"),
        new("sidecar-route-without-dapr-api-token", "401:problem", HttpMethod.Post, "/dapr/events/document-discovered"),
        new("sidecar-route-with-wrong-dapr-api-token", "401:problem", HttpMethod.Post, "/dapr/events/document-discovered", DaprApiToken: "not-the-token"),
        new("sidecar-route-with-api-key-but-no-dapr-token", "401:problem", HttpMethod.Post, "/dapr/events/document-discovered", Full),
        new("dead-letter-route-without-dapr-api-token", "401:problem", HttpMethod.Post, "/dapr/events/document-discovered-deadletter"),
        new("removed-route-with-wrong-dapr-api-token", "401:problem", HttpMethod.Post, "/dapr/events/document-removed-at-source", DaprApiToken: "x"),
        // Controls: the refusals above are not a service that refuses everything.
        new("control-read-with-read-only-key", "200", HttpMethod.Get, "/documents/{id}", ReadOnly),
        new("control-upload-with-upload-only-key", "202", HttpMethod.Post, "/documents", UploadOnly, Upload: true),
        new("control-sidecar-route-with-dapr-api-token", "200", HttpMethod.Post, "/dapr/events/document-removed-at-source", DaprApiToken: DocumentApiSecurityFixture.AppApiToken),
    ];

    public static TheoryData<string, string> Table
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var item in All)
            {
                data.Add(item.Name, item.Expected);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task A_request_with_the_wrong_credential_is_refused(string caseName, string expected)
    {
        var item = All.Single(c => c.Name == caseName);
        using var http = fixture.Host.CreateClient(apiKey: null);
        using var request = item.Upload
            ? new MultipartBody().File($"{caseName}.pdf", UploadCases.Pdf("R4 " + caseName)).ToRequest()
            : new HttpRequestMessage(item.Method, item.Path.Replace("{id}", fixture.DocumentId, StringComparison.Ordinal))
            {
                Content = item.Method == HttpMethod.Post ? new StringContent("{}", System.Text.Encoding.UTF8, "application/json") : null,
            };
        request.Method = item.Method;
        if (item.Authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", item.Authorization);
        }
        if (item.DaprApiToken is not null)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", item.DaprApiToken);
        }

        using var response = await http.SendAsync(request);
        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? ":problem" : "";
        var actual = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) + ((int)response.StatusCode >= 400 ? problem : "");

        ReliabilityReport.Record("R4", "document-api: " + caseName, actual, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_refused_upload_stores_nothing()
    {
        using var http = fixture.Host.CreateClient(apiKey: null);
        var before = UploadBlobs();
        foreach (var credential in new string?[] { null, Wrong, ReadOnly })
        {
            using var request = new MultipartBody().File("refused.pdf", UploadCases.Pdf("R4 refused " + credential)).ToRequest();
            if (credential is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", credential);
            }
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{credential}: {response.StatusCode}");
        }

        // Authorization runs before the handler reads the body: not one chunk of a refused upload is written.
        Assert.Contains(before, name => name.StartsWith("upload-" + fixture.UploadId, StringComparison.Ordinal));
        Assert.Equal(before, UploadBlobs());
    }

    private string[] UploadBlobs() =>
        [.. Directory.EnumerateFiles(fixture.Host.Environment.BlobRoot, "upload-*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];
}
