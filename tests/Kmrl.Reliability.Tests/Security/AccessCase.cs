namespace Kmrl.Reliability.Tests.Security;

/// <summary>
/// One request to document-api with a given credential. <see cref="Path"/> may hold <c>{id}</c> for the control
/// document. <see cref="Authorization"/> is the whole header value (null: none); <see cref="DaprApiToken"/> likewise.
/// </summary>
public sealed record AccessCase(string Name, string Expected, HttpMethod Method, string Path, string? Authorization = null,
    string? DaprApiToken = null, bool Upload = false);
