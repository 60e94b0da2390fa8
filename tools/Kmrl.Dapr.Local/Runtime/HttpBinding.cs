using System.Net.Http.Headers;
using Kmrl.Dapr.Testing.Components;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// bindings.http output (components-contrib <c>bindings/http/http.go</c>): operations <c>create</c> (sent as POST),
/// <c>get</c>, <c>head</c>, <c>post</c>, <c>put</c>, <c>patch</c>, <c>delete</c>, <c>options</c>, <c>trace</c> against the
/// component's <c>url</c>, with request metadata <c>path</c> appended. PUT/POST/PATCH carry the data, with
/// <c>Content-Type: application/json; charset=utf-8</c> unless the metadata sets one; every request gets that
/// <c>Accept</c> unless set. Metadata keys starting with a capital letter are request headers;
/// <c>securityToken</c>/<c>securityTokenHeader</c> add a token header. The answer is the body with metadata
/// <c>statusCode</c>, <c>status</c> and the response headers; a non-2xx answer is an error unless <c>errorIfNot2XX</c>
/// is false (component or request). mTLS and responseTimeout are not modelled.
/// </summary>
public sealed class HttpBinding : IOutputBinding
{
    private static readonly string[] Operations = ["create", "get", "head", "post", "put", "patch", "delete", "options", "trace"];
    private readonly HttpClient _client = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly string _url;
    private readonly string _securityToken;
    private readonly string _securityTokenHeader;
    private readonly bool _errorIfNot2Xx;

    public HttpBinding(ComponentSpec component)
    {
        Name = component.Name;
        _url = component.Get("url") ?? string.Empty;
        _securityToken = component.Get("securityToken") ?? string.Empty;
        _securityTokenHeader = component.Get("securityTokenHeader") ?? string.Empty;
        _errorIfNot2Xx = component.Get("errorIfNot2XX") is { Length: > 0 } value ? GoDecoding.IsTruthy(value) : true;
    }

    public string Name { get; }

    public async Task<(byte[] Data, Dictionary<string, string> Metadata)> InvokeAsync(
        string operation, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        if (!Operations.Contains(operation))
        {
            throw new BindingException($"binding {Name} does not support operation {operation}. supported operations:{string.Join(" ", Operations)}");
        }
        var url = _url;
        if (metadata.TryGetValue("path", out var path) && path.Length > 0)
        {
            url = url.TrimEnd('/') + "/" + path.TrimStart('/');
        }
        var errorIfNot2Xx = metadata.TryGetValue("errorIfNot2XX", out var flag) && flag.Length > 0 ? GoDecoding.IsTruthy(flag) : _errorIfNot2Xx;
        var method = operation == "create" ? "POST" : operation.ToUpperInvariant();
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "PUT" or "POST" or "PATCH")
        {
            request.Content = new ByteArrayContent(data);
            if (!metadata.ContainsKey("Content-Type"))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
            }
        }
        if (!metadata.ContainsKey("Accept"))
        {
            request.Headers.TryAddWithoutValidation("Accept", "application/json; charset=utf-8");
        }
        if (_securityToken.Length > 0 && _securityTokenHeader.Length > 0)
        {
            request.Headers.TryAddWithoutValidation(_securityTokenHeader, _securityToken);
        }
        foreach (var (key, value) in metadata.Where(m => m.Key.Length > 0 && char.IsAsciiLetterUpper(m.Key[0])))
        {
            if (!request.Headers.TryAddWithoutValidation(key, value))
            {
                request.Content?.Headers.Remove(key);
                request.Content?.Headers.TryAddWithoutValidation(key, value);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, ct);
        }
        catch (HttpRequestException exception)
        {
            throw new BindingException(exception.Message);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            var code = (int)response.StatusCode;
            var answer = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["statusCode"] = code.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["status"] = $"{code} {response.ReasonPhrase}",
            };
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                answer[header.Key] = string.Join(", ", header.Value);
            }
            if (errorIfNot2Xx && code / 100 != 2)
            {
                throw new BindingException($"received status code {code}");
            }
            return (body, answer);
        }
    }
}
