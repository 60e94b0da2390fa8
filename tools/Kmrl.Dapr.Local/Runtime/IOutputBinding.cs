namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>An output binding daprd invokes for the app (InvokeBinding); a <see cref="BindingException"/> is its error.</summary>
public interface IOutputBinding
{
    string Name { get; }

    Task<(byte[] Data, Dictionary<string, string> Metadata)> InvokeAsync(
        string operation, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken ct);
}
