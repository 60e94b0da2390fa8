using System.Text;
using System.Text.Json;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>Raised for a binding request daprd would refuse (surfaced as a gRPC Internal error).</summary>
public sealed class BindingException(string message) : Exception(message);

/// <summary>
/// bindings.localstorage output (components-contrib v1.16 <c>bindings/localstorage/localstorage.go</c>): create/get/
/// delete/list under rootPath with metadata key <c>fileName</c>. <c>create</c> first tries Go's <c>strconv.Unquote</c> on
/// the data, then <c>base64.StdEncoding.DecodeString</c> on the result, and stores what succeeded: a heuristic meant for
/// HTTP callers that hits raw gRPC bytes too ("KMRL" is stored as three decoded bytes, ""x"" as x). <c>get</c>
/// returns the file as stored.
/// </summary>
public sealed class LocalStorageBinding : IOutputBinding
{
    private readonly string _root;

    public LocalStorageBinding(string name, string rootPath)
    {
        Name = name;
        _root = Path.GetFullPath(rootPath);
        Directory.CreateDirectory(_root);
    }

    public string Name { get; }

    public string RootPath => _root;

    public async Task<(byte[] Data, Dictionary<string, string> Metadata)> InvokeAsync(
        string operation, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        switch (operation)
        {
            case "create":
            {
                var fileName = metadata.TryGetValue("fileName", out var f) && f.Length > 0 ? f : Guid.NewGuid().ToString();
                var path = Resolve(fileName);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, GoDecoding.AsLocalStorageStoresIt(data), ct);
                // daprd answers with the file name it wrote, as JSON.
                return (JsonSerializer.SerializeToUtf8Bytes(new { fileName }), new() { ["fileName"] = fileName });
            }
            case "get":
            {
                var path = Resolve(RequireFileName(metadata));
                if (!File.Exists(path))
                {
                    throw new BindingException($"file not found: {path}");
                }
                return (await File.ReadAllBytesAsync(path, ct), []);
            }
            case "delete":
            {
                var path = Resolve(RequireFileName(metadata));
                if (!File.Exists(path))
                {
                    throw new BindingException($"file not found: {path}");
                }
                File.Delete(path);
                return ([], []);
            }
            case "list":
            {
                // daprd lists every file below rootPath as an array of paths.
                var files = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                return (JsonSerializer.SerializeToUtf8Bytes(files), []);
            }
            default:
                throw new BindingException($"binding error: unsupported operation {operation}");
        }
    }

    private static string RequireFileName(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("fileName", out var f) && f.Length > 0 ? f : throw new BindingException("required metadata 'fileName' missing");

    private string Resolve(string fileName)
    {
        var path = Path.GetFullPath(Path.Combine(_root, fileName));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new BindingException($"invalid file path: {fileName}");
        }
        return path;
    }

    public static string Describe(byte[] data) => Encoding.UTF8.GetString(data);
}
