using System.Text;
using Kmrl.ClaimCheck;
using Microsoft.Extensions.Options;

namespace Kmrl.Dapr.Contract.Tests;

/// <summary>
/// Claim-check chunks through bindings.localstorage with Kmrl.ClaimCheck's own adapter. The binding's
/// <c>create</c> unquotes data that looks like a JSON string and base64-decodes data that looks like base64
/// (components-contrib v1.16.13 bindings/localstorage/localstorage.go <c>create</c>: strconv.Unquote, then
/// base64 StdEncoding.DecodeString), so raw bytes of that shape only survive if the adapter encodes them.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class BlobContractTests(ContractTarget target)
{
    [Theory]
    [InlineData("SGVsbG8gd29ybGQ=")]
    [InlineData("\"a quoted string\"")]
    [InlineData("QUJD")]
    public async Task A_chunk_that_looks_like_base64_or_a_quoted_string_round_trips_byte_for_byte(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);

        var read = await RoundTripAsync(content);

        Assert.Equal(content, read);
    }

    [Fact]
    public async Task Binary_content_over_several_chunks_round_trips()
    {
        var content = new byte[300_000];
        new Random(15).NextBytes(content);

        var read = await RoundTripAsync(content, chunkSize: 128 * 1024);

        Assert.Equal(content, read);
    }

    private async Task<byte[]> RoundTripAsync(byte[] content, int chunkSize = 1024 * 1024)
    {
        var options = Options.Create(new ClaimCheckOptions { ChunkSizeBytes = chunkSize });
        var store = new ChunkedContentStore(new DaprBindingBlobStorage(target.Client, options), options);
        var blob = await store.WriteAsync(ContractTarget.Unique("contract"), new MemoryStream(content), CancellationToken.None);
        try
        {
            await using var stream = await store.OpenReadAsync(blob, CancellationToken.None);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
        finally
        {
            await store.DeleteAsync(blob, CancellationToken.None);
        }
    }
}
