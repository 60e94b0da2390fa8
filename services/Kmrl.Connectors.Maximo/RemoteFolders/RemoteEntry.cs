namespace Kmrl.Connectors.Maximo.RemoteFolders;

/// <summary>One entry of a remote directory listing.</summary>
/// <param name="Path">Full path on the server (folder + "/" + name).</param>
/// <param name="Modified">Last modification time in UTC; precision depends on the protocol (seconds, or minutes for LIST).</param>
public sealed record RemoteEntry(string Name, string Path, long Size, DateTimeOffset Modified, bool IsFile);
