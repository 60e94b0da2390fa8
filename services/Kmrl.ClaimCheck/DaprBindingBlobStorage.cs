using Dapr;
using Dapr.Client;
using Kmrl.Contracts;
using Microsoft.Extensions.Options;

namespace Kmrl.ClaimCheck;

/// <summary>
/// Blob storage through a Dapr output binding. The object name is sent under the metadata key of every blob
/// binding Dapr ships (localstorage <c>fileName</c>, S3 <c>key</c>, Azure Blob <c>blobName</c>), so swapping the
/// store is an edit of the component YAML only.
/// </summary>
public sealed class DaprBindingBlobStorage(DaprClient daprClient, IOptions<ClaimCheckOptions> options) : IBlobStorage
{
    private readonly string _binding = options.Value.BindingName;

    public async Task PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var request = Request(name, DaprNames.BlobOperations.Create);
        request.Data = content;
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
