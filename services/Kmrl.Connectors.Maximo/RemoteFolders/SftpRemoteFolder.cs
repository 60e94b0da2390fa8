using System.Text;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Contracts;
using Renci.SshNet;

namespace Kmrl.Connectors.Maximo.RemoteFolders;

/// <summary>SFTP through SSH.NET, with the host key pinned by its SHA-256 fingerprint.</summary>
public sealed class SftpRemoteFolderConnector(RemoteServerOptions server, ISecretProvider secrets) : IRemoteFolderConnector
{
    private int Port => server.Port == 0 ? 22 : server.Port;

    public string Describe() => $"sftp://{server.Host}:{Port}";

    public async Task<IRemoteFolder> ConnectAsync(CancellationToken cancellationToken)
    {
        var methods = new List<AuthenticationMethod>();
        var keys = new List<PrivateKeyFile>();
        // One read gives every key of the server's secret: the keys present choose the login, no lookup that misses.
        var values = await secrets.GetSecretValuesAsync(server.Secret, cancellationToken);
        if (Present(values, DaprNames.Secrets.RemoteServerKeys.PrivateKey) is { } pem)
        {
            var passphrase = Present(values, DaprNames.Secrets.RemoteServerKeys.PrivateKeyPassphrase);
            using var keyStream = new MemoryStream(Encoding.UTF8.GetBytes(pem));
            keys.Add(new PrivateKeyFile(keyStream, passphrase));
            methods.Add(new PrivateKeyAuthenticationMethod(server.UserName, [.. keys]));
        }
        if (Present(values, DaprNames.Secrets.RemoteServerKeys.Password) is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(server.UserName, password));
        }
        if (methods.Count == 0)
        {
            throw new SecretNotFoundException(server.Secret,
                $"{DaprNames.Secrets.RemoteServerKeys.PrivateKey} or {DaprNames.Secrets.RemoteServerKeys.Password}", DaprNames.Components.SecretStore);
        }
        var connection = new Renci.SshNet.ConnectionInfo(server.Host, Port, server.UserName, [.. methods]) { Timeout = server.Timeout };
        var client = new SftpClient(connection) { OperationTimeout = server.Timeout };
        var expected = NormaliseFingerprint(server.HostKeySha256!);
        client.HostKeyReceived += (_, e) => e.CanTrust = string.Equals(NormaliseFingerprint(e.FingerPrintSHA256), expected, StringComparison.Ordinal);
        try
        {
            await client.ConnectAsync(cancellationToken);
        }
        catch
        {
            client.Dispose();
            foreach (var key in keys)
            {
                key.Dispose();
            }
            throw;
        }
        return new SftpRemoteFolder(client, keys);
    }

    // "SHA256:abc=" and "abc" name the same key.
    private static string NormaliseFingerprint(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase))
        {
            text = text["SHA256:".Length..];
        }
        return text.TrimEnd('=');
    }

    private static string? Present(IReadOnlyDictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}

internal sealed class SftpRemoteFolder(SftpClient client, IReadOnlyList<PrivateKeyFile> keys) : IRemoteFolder
{
    public async Task<IReadOnlyList<RemoteEntry>> ListAsync(string folder, CancellationToken cancellationToken)
    {
        var entries = new List<RemoteEntry>();
        await foreach (var file in client.ListDirectoryAsync(folder, cancellationToken))
        {
            if (file.Name is "." or ".." || !(file.IsRegularFile || file.IsDirectory))
            {
                continue;
            }
            entries.Add(new RemoteEntry(file.Name, file.FullName, file.IsRegularFile ? file.Length : 0,
                new DateTimeOffset(DateTime.SpecifyKind(file.LastWriteTimeUtc, DateTimeKind.Utc)), file.IsRegularFile));
        }
        return entries;
    }

    public async Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        var stream = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken);
        if (offset > 0)
        {
            stream.Seek(offset, SeekOrigin.Begin);
        }
        return stream;
    }

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        client.RenameFileAsync(from, to, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        client.DeleteFileAsync(path, cancellationToken);

    public async Task EnsureFolderAsync(string folder, CancellationToken cancellationToken)
    {
        if (!await client.ExistsAsync(folder, cancellationToken))
        {
            await client.CreateDirectoryAsync(folder, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        foreach (var key in keys)
        {
            key.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
