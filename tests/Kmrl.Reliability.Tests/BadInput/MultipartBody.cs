using System.Text;

namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// A multipart/form-data body written byte by byte: HttpClient's MultipartFormDataContent refuses (or repairs) the
/// very headers the bad-input cases need (control characters, invalid UTF-8, a missing Content-Disposition).
/// </summary>
public sealed class MultipartBody
{
    public const string Boundary = "kmrl-r3-7d1f0c";
    private readonly MemoryStream _body = new();

    /// <summary>A file part; <paramref name="fileNameParameter"/> is written as is (e.g. <c>filename="a.pdf"</c>).</summary>
    public MultipartBody File(string fileNameParameter, string contentType, byte[] content) =>
        Part(Encoding.UTF8.GetBytes($"Content-Disposition: form-data; name=\"file\"; {fileNameParameter}\r\nContent-Type: {contentType}\r\n"), content);

    public MultipartBody File(string fileName, byte[] content, string contentType = "application/pdf") =>
        File($"filename=\"{fileName}\"", contentType, content);

    public MultipartBody Field(string name, string value) =>
        Part(Encoding.UTF8.GetBytes($"Content-Disposition: form-data; name=\"{name}\"\r\n"), Encoding.UTF8.GetBytes(value));

    /// <summary>A part with raw header bytes (each line ending in CRLF).</summary>
    public MultipartBody Part(byte[] headers, byte[] content)
    {
        Write($"--{Boundary}\r\n");
        _body.Write(headers);
        Write("\r\n");
        _body.Write(content);
        Write("\r\n");
        return this;
    }

    /// <param name="close">False leaves the closing boundary out: a truncated upload.</param>
    public byte[] ToArray(bool close = true)
    {
        if (close)
        {
            Write($"--{Boundary}--\r\n");
        }
        return _body.ToArray();
    }

    public HttpRequestMessage ToRequest(bool close = true) => Request(ToArray(close), $"multipart/form-data; boundary={Boundary}");

    public static HttpRequestMessage Request(byte[] body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/documents") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return request;
    }

    private void Write(string text) => _body.Write(Encoding.ASCII.GetBytes(text));
}
