using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>
/// A real Dovecot IMAP server (plaintext on loopback) with passwd-file users and maildir storage.
/// Mail is delivered with <c>doveadm save</c>, the way a real MTA hand-off lands in the mailbox.
/// </summary>
public sealed class DovecotImapServer : IAsyncLifetime
{
    public const string ProcessedFolder = "Processed";

    /// <summary>Dovecot's default <c>mail_max_userip_connections</c>, stated so tests that open many connections see it.</summary>
    public const int MaxConnectionsPerUserAndAddress = 10;
    private TempDirectory? _folder;

    // Made on first use, after the init-only properties are set.
    private TempDirectory Folder => _folder ??= DataDirectory is null ? new TempDirectory("dovecot") : TempDirectory.Kept(DataDirectory);

    /// <summary>
    /// Where the server keeps its configuration and data; unset (tests) a temp folder removed at dispose. Set, the
    /// folder stays, and a new server on it finds what the last one held (the local demo's <c>.data/demo</c>).
    /// </summary>
    public string? DataDirectory { get; init; }
    private ServerProcess? _process;

    public IReadOnlyDictionary<string, string> Users { get; } = new Dictionary<string, string>
    {
        ["alice"] = "secret",
        ["bob"] = "hunter2",
    };

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public int Pid => _process?.Pid ?? throw new InvalidOperationException("The server is not started.");

    public string ConfigPath => Folder.Combine("dovecot.conf");

    /// <summary>
    /// When set, users sign in with OAuth2 bearer tokens (XOAUTH2/OAUTHBEARER) that Dovecot checks at this RFC 7662
    /// introspection URL, the way Microsoft 365 and Gmail accept them, instead of with passwords.
    /// </summary>
    public string? OAuth2IntrospectionUrl { get; init; }

    public async Task InitializeAsync()
    {
        Port = FreePort.Next();
        var mail = Folder.Combine("mail");
        Directory.CreateDirectory(mail);
        Directory.CreateDirectory(Folder.Combine("run"));
        Directory.CreateDirectory(Folder.Combine("state"));
        await File.WriteAllLinesAsync(Folder.Combine("users"),
            Users.Select(user => $"{user.Key}:{{PLAIN}}{user.Value}"));
        await File.WriteAllTextAsync(ConfigPath, $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{Folder.Combine("run")}}
            state_dir = {{Folder.Combine("state")}}
            log_path = {{Folder.Combine("dovecot.log")}}
            ssl = no
            disable_plaintext_auth = no
            {{await AuthenticationConfigAsync(mail)}}
            mail_location = maildir:{{mail}}/%u
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{Port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            protocol imap {
              mail_max_userip_connections = {{MaxConnectionsPerUserAndAddress}}
            }
            namespace inbox {
              inbox = yes
              mailbox {{ProcessedFolder}} {
                auto = create
              }
            }
            """);
        await Shell.RunAsync("chown", ["-R", "nobody:nogroup", mail], "coreutils");

        _process = ServerProcess.Start("dovecot", ["-F", "-c", ConfigPath], "dovecot-imapd");
        await _process.WaitForPortAsync(Port);
    }

    /// <summary>Dovecot's server log, for failure messages.</summary>
    public string Log => File.Exists(Folder.Combine("dovecot.log")) ? File.ReadAllText(Folder.Combine("dovecot.log")) : string.Empty;

    private async Task<string> AuthenticationConfigAsync(string mail)
    {
        if (OAuth2IntrospectionUrl is null)
        {
            return $$"""
                auth_mechanisms = plain login
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%u {{Folder.Combine("users")}}
                }
                userdb {
                  driver = static
                  args = uid=nobody gid=nogroup home={{mail}}/%u
                }
                """;
        }
        await File.WriteAllTextAsync(Folder.Combine("oauth2.conf.ext"), $"""
            introspection_mode = post
            introspection_url = {OAuth2IntrospectionUrl}
            force_introspection = yes
            username_attribute = username
            active_attribute = active
            active_value = true
            """);
        return $$"""
            auth_mechanisms = xoauth2 oauthbearer
            passdb {
              driver = oauth2
              mechanisms = xoauth2 oauthbearer
              args = {{Folder.Combine("oauth2.conf.ext")}}
            }
            userdb {
              # The oauth2 passdb cannot answer user lookups (doveadm save needs one): accept every user here.
              driver = static
              args = uid=nobody gid=nogroup home={{mail}}/%u allow_all_users=yes
            }
            """;
    }

    /// <summary>Delivers a raw RFC 5322 message into a user's folder (created if missing).</summary>
    public async Task DeliverAsync(string user, byte[] message, string folder = "INBOX")
    {
        using var input = new MemoryStream(message, writable: false);
        await DeliverAsync(user, input, folder);
    }

    /// <summary>Delivers a message from a stream, so a large one is not held in memory.</summary>
    public async Task DeliverAsync(string user, Stream message, string folder = "INBOX")
    {
        if (folder != "INBOX")
        {
            await EnsureFolderAsync(user, folder);
        }
        await Shell.RunAsync("doveadm", ["-c", ConfigPath, "save", "-u", user, "-m", folder], "dovecot-core",
            standardInputStream: message, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// Writes many messages straight into a folder's maildir, then has Dovecot index them: thousands of
    /// <c>doveadm save</c> calls (one process each) would take minutes. Returns how many were written.
    /// </summary>
    public async Task<int> SeedMaildirAsync(string user, string folder, IEnumerable<byte[]> messages)
    {
        // A status call creates the user's maildir (and INBOX) if this is the user's first mail.
        await Shell.RunAsync("doveadm", ["-c", ConfigPath, "mailbox", "status", "-u", user, "messages", "INBOX"], "dovecot-core");
        if (folder != "INBOX")
        {
            await EnsureFolderAsync(user, folder);
        }
        var userPath = Path.Combine(Folder.Combine("mail"), user);
        var newMail = Path.Combine(folder == "INBOX" ? userPath : Path.Combine(userPath, "." + folder), "new");
        Directory.CreateDirectory(newMail);
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var count = 0;
        foreach (var message in messages)
        {
            // Maildir names only need to be unique; Dovecot assigns UIDs in the order it finds them.
            await File.WriteAllBytesAsync(Path.Combine(newMail, $"{seconds}.M{count}P{Environment.ProcessId}.kmrl-seed"), message);
            count++;
        }
        await Shell.RunAsync("chown", ["-R", "nobody:nogroup", Folder.Combine("mail")], "coreutils");
        await Shell.RunAsync("doveadm", ["-c", ConfigPath, "mailbox", "status", "-u", user, "messages", folder], "dovecot-core",
            timeout: TimeSpan.FromMinutes(5));
        return count;
    }

    public async Task EnsureFolderAsync(string user, string folder)
    {
        var existing = await Shell.RunAsync("doveadm", ["-c", ConfigPath, "mailbox", "list", "-u", user], "dovecot-core");
        if (!existing.Split('\n', StringSplitOptions.TrimEntries).Contains(folder))
        {
            await Shell.RunAsync("doveadm", ["-c", ConfigPath, "mailbox", "create", "-u", user, folder], "dovecot-core");
        }
    }

    /// <summary>Forces a new UIDVALIDITY, as a server rebuild or mailbox restore would.</summary>
    public Task SetUidValidityAsync(string user, uint uidValidity, string folder = "INBOX") =>
        Shell.RunAsync("doveadm", ["-c", ConfigPath, "mailbox", "update", "-u", user, "--uid-validity", uidValidity.ToString(), folder], "dovecot-core");

    /// <summary>Stops the server (outage tests); <see cref="RestartAsync"/> brings it back with the same mail.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        _process = ServerProcess.Start("dovecot", ["-F", "-c", ConfigPath], "dovecot-imapd");
        await _process.WaitForPortAsync(Port);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _folder?.Dispose();
    }
}
