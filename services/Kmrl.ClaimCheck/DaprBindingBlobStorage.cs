using System.Buffers.Text;
using Dapr;
using Dapr.Client;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.ClaimCheck;

/// <summary>
/// Blob storage through a Dapr output binding. The object name is sent under the metadata key of every blob
/// binding Dapr ships (localstorage <c>fileName</c>, S3 <c>key</c>, Azure Blob <c>blobName</c>), so swapping the
/// store is an edit of the component YAML only.
/// <para>
/// The bindings' <c>create</c> does not store raw bytes as sent: localstorage tries <c>strconv.Unquote</c> and then a
/// base64 decode, S3 JSON-unquotes and Azure Blob unquotes (components-contrib v1.16 localstorage.go, s3.go,
/// blobstorage.go), so content that happens to look like base64 or a quoted string ("KMRL", an ID list one per
/// line) would be stored changed. Each object is therefore sent as a JSON string of its base64: localstorage
/// unquotes and decodes it, S3 and Azure Blob unquote it and decode it with <c>decodeBase64</c> (sent per request,
/// which S3 honours, and set on the component, which Azure needs). <c>get</c> returns the stored bytes as they are.
/// </para>
/// </summary>
public sealed class DaprBindingBlobStorage(DaprClient daprClient, IOptions<ClaimCheckOptions> options) : IBlobStorage
{
    private readonly string _binding = options.Value.BindingName;

    public async Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var request = Request(name, DaprNames.BlobOperations.Create);
        request.Data = QuotedBase64(content.Span);
        request.Metadata[DaprNames.BlobOperations.DecodeBase64Metadata] = "true";
        await daprClient.InvokeBindingAsync(request, cancellationToken);
    }

    public async Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await daprClient.InvokeBindingAsync(Request(name, DaprNames.BlobOperations.Get), cancellationToken);
            return response.Data;
        }
        catch (DaprException exception) when (IsNotFound(exception))
        {
            return null;
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await daprClient.InvokeBindingAsync(Request(name, DaprNames.BlobOperations.Delete), cancellationToken);
        }
        catch (DaprException exception) when (IsNotFound(exception))
        {
            // Deleting what is already gone is success: deletes are retried.
        }
    }

    /// <summary>The JSON string <c>"&lt;base64&gt;"</c> of <paramref name="content"/>, as UTF-8.</summary>
    public static byte[] QuotedBase64(ReadOnlySpan<byte> content)
    {
        var encoded = new byte[Base64.GetMaxEncodedToUtf8Length(content.Length) + 2];
        encoded[0] = (byte)'"';
        Base64.EncodeToUtf8(content, encoded.AsSpan(1), out _, out var written);
        encoded[written + 1] = (byte)'"';
        return encoded[..(written + 2)];
    }

    private BindingRequest Request(string name, string operation)
    {
        var request = new BindingRequest(_binding, operation);
        request.Metadata[DaprNames.BlobOperations.FileNameMetadata] = name;
        request.Metadata["key"] = name;
        request.Metadata["blobName"] = name;
        return request;
    }

    // Bindings report a missing object only in their error text (localstorage: "no such file or directory",
    // S3: "NoSuchKey", Azure: "BlobNotFound").
    private static bool IsNotFound(DaprException exception)
    {
        var text = exception.ToString();
        return text.Contains("no such file", StringComparison.OrdinalIgnoreCase)
            || text.Contains("NoSuchKey", StringComparison.Ordinal)
            || text.Contains("BlobNotFound", StringComparison.Ordinal)
            || text.Contains("not found", StringComparison.OrdinalIgnoreCase);
    }
}
