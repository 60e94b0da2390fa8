using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Kmrl.Reliability.Tests.BadInput;
using Kmrl.Reliability.Tests.Support;

namespace Kmrl.Reliability.Tests.Security;

/// <summary>
/// document-api with API keys in the sidecar's secret store and APP_API_TOKEN set (the sidecar sends it), plus one
/// document uploaded with the right key so the read routes have something real to refuse.
/// </summary>
public sealed class DocumentApiSecurityFixture : IAsyncLifetime
{
    public const string AppApiToken = "r4-app-api-token-5f0c1d2e3a4b";

    public DocumentApiHost Host { get; private set; } = null!;

    public string DocumentId { get; private set; } = null!;

    public string UploadId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await DocumentApiHost.StartAsync(appApiToken: AppApiToken);
        using var http = Host.CreateClient();
        using var request = new MultipartBody().File("r4-control.pdf", UploadCases.Pdf("R4 control upload")).ToRequest();
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"The control upload with the right key answered {(int)response.StatusCode}.");
        }
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        UploadId = body!["uploadId"]!.GetValue<string>();
        DocumentId = body["documents"]![0]!["documentId"]!.GetValue<string>();
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
