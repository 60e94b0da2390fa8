using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Kmrl.ClaimCheck.Tests;

public sealed class DaprBindingPayloadTests
{
    [Fact]
    public void A_chunk_is_sent_as_a_json_string_of_its_base64()
    {
        // localstorage create unquotes this and decodes the base64, S3/Azure unquote it and decode with decodeBase64.
        Assert.Equal("\"S01STA==\"", Encoding.UTF8.GetString(DaprBindingBlobStorage.QuotedBase64("KMRL"u8)));
        Assert.Equal("\"\"", Encoding.UTF8.GetString(DaprBindingBlobStorage.QuotedBase64([])));
    }

    [Fact]
    public void The_largest_chunk_still_fits_daprds_4_MiB_grpc_limit_once_encoded()
    {
        var payload = DaprBindingBlobStorage.QuotedBase64(new byte[ClaimCheckOptions.MaxChunkSizeBytes]);

        // Room for the request envelope (binding name, operation, metadata) below daprd's default 4 MiB.
        Assert.True(payload.Length < 4 * 1024 * 1024 - 256 * 1024, $"{payload.Length} bytes on the wire");
    }

    [Theory]
    [InlineData(ClaimCheckOptions.MaxChunkSizeBytes, true)]
    [InlineData(3 * 1024 * 1024, false)]
    public void Chunk_sizes_whose_encoding_would_pass_the_limit_are_refused(int chunkSize, bool valid)
    {
        var options = new ClaimCheckOptions { ChunkSizeBytes = chunkSize };

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true));
    }
}
