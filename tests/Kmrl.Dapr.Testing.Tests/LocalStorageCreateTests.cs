using System.Text;
using Dapr.Client;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>
/// bindings.localstorage create as components-contrib v1.16.13 bindings/localstorage/localstorage.go runs it (create,
/// lines 167-175 as cited in the runtime review; get, lines 215-240):
/// <c>strconv.Unquote(data)</c> replaces the data when it succeeds, then <c>base64.StdEncoding.DecodeString</c> does
/// (Go's decoder skips '\r' and '\n'); get returns the file as stored. See also dapr/components-contrib#3391.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LocalStorageCreateTests(RedisServer redis)
{
    public static TheoryData<string, byte[]> Stored => new()
    {
        // Four letters are a base64 quantum: stored as the three bytes they decode to.
        { "KMRL", Convert.FromBase64String("KMRL") },
        // An ID list one per line: the newlines are skipped and the rest decodes.
        { "WO10\nWO11\nWO12\n", Convert.FromBase64String("WO10WO11WO12") },
        { "AB12\r\nCD34\r\n", Convert.FromBase64String("AB12CD34") },
        // A quoted string is unquoted, escapes included.
        { "\"safety circular\"", Encoding.UTF8.GetBytes("safety circular") },
        { "\"tab\\there\\u00e9\"", Encoding.UTF8.GetBytes("tab\there\u00e9") },
        { "`raw\r\nstring`", Encoding.UTF8.GetBytes("raw\nstring") },
        // Unquoted, then decoded: how an HTTP caller sends binary, and how a chunk survives.
        { "\"S01STA==\"", Convert.FromBase64String("S01STA==") },
        // Neither: stored as sent.
        { "KMRL circular 14", Encoding.UTF8.GetBytes("KMRL circular 14") },
        { "KMR", Encoding.UTF8.GetBytes("KMR") },
        { "\"unterminated", Encoding.UTF8.GetBytes("\"unterminated") },
        { "\"bad \\q escape\"", Encoding.UTF8.GetBytes("\"bad \\q escape\"") },
        { "AB C", Encoding.UTF8.GetBytes("AB C") },
    };

    [Theory]
    [MemberData(nameof(Stored))]
    public async Task Create_stores_what_the_unquote_and_base64_heuristics_make_of_the_data_and_get_returns_it(string sent, byte[] expected)
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();

        await client.InvokeBindingAsync(Request("create", "item", Encoding.UTF8.GetBytes(sent)));
        var read = await client.InvokeBindingAsync(Request("get", "item", null));

        Assert.Equal(expected, read.Data.ToArray());
    }

    [Fact]
    public async Task Binary_that_is_neither_quoted_nor_base64_is_stored_byte_for_byte()
    {
        await using var environment = await DaprTestEnvironment.StartAsync(redis);
        using var client = (await environment.StartSidecarAsync("document-api")).CreateClient();
        byte[] pdfStart = [0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x37, 0x0A, 0xE2, 0xE3, 0xCF, 0xD3];

        await client.InvokeBindingAsync(Request("create", "pdf", pdfStart));

        Assert.Equal(pdfStart, (await client.InvokeBindingAsync(Request("get", "pdf", null))).Data.ToArray());
    }

    private static BindingRequest Request(string operation, string fileName, byte[]? data)
    {
        var request = new BindingRequest("blobstore", operation) { Data = data ?? ReadOnlyMemory<byte>.Empty };
        request.Metadata["fileName"] = fileName;
        return request;
    }
}
