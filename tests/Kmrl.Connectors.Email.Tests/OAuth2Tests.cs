using System.Collections.Concurrent;
using Kmrl.Connectors.Email.Imap;
using Kmrl.Connectors.Email.Options;
using Kmrl.Connectors.Email.Tests.Support;
using Kmrl.Testing.Servers;
using MailKit.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Connectors.Email.Tests;

/// <summary>
/// Dovecot with its oauth2 passdb, validating bearer tokens against a local RFC 7662 introspection endpoint:
/// the same SASL XOAUTH2 exchange Microsoft 365 and Gmail accept.
/// </summary>
public sealed class OAuth2DovecotServer : IAsyncLifetime
{
    public const string User = "carol";
    public const string ValidToken = "kmrl-test-access-token";
    private readonly TempDirectory _directory = new("dovecot-oauth2");
    private ServerProcess? _process;
    private WebApplication? _introspection;

    public ConcurrentQueue<string> IntrospectedTokens { get; } = new();

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public string ConfigPath => _directory.Combine("dovecot.conf");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _introspection = builder.Build();
        _introspection.MapPost("/introspect", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var token = form["token"].ToString();
            IntrospectedTokens.Enqueue(token);
            return token == ValidToken
                ? Results.Json(new { active = true, username = User })
                : Results.Json(new { active = false });
        });
        await _introspection.StartAsync();
        var introspectionUrl = _introspection.Services.GetRequiredService<IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.Single() + "/introspect";

        Port = FreePort.Next();
        var mail = _directory.Combine("mail");
        Directory.CreateDirectory(mail);
        Directory.CreateDirectory(_directory.Combine("run"));
        Directory.CreateDirectory(_directory.Combine("state"));
        await File.WriteAllTextAsync(_directory.Combine("oauth2.conf.ext"), $"""
            introspection_mode = post
            introspection_url = {introspectionUrl}
            force_introspection = yes
            username_attribute = username
            active_attribute = active
            active_value = true
            """);
        await File.WriteAllTextAsync(ConfigPath, $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{_directory.Combine("run")}}
            state_dir = {{_directory.Combine("state")}}
            log_path = {{_directory.Combine("dovecot.log")}}
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = xoauth2 oauthbearer
            mail_location = maildir:{{mail}}/%u
            passdb {
              driver = oauth2
              mechanisms = xoauth2 oauthbearer
              args = {{_directory.Combine("oauth2.conf.ext")}}
            }
            userdb {
              # The oauth2 passdb cannot answer user lookups (doveadm save needs one): accept every user here.
              driver = static
              args = uid=nobody gid=nogroup home={{mail}}/%u allow_all_users=yes
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{Port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            namespace inbox {
              inbox = yes
            }
            """);
        await Shell.RunAsync("chown", ["-R", "nobody:nogroup", mail], "coreutils");
        _process = ServerProcess.Start("dovecot", ["-F", "-c", ConfigPath], "dovecot-imapd");
        await _process.WaitForPortAsync(Port);
    }

    public async Task DeliverAsync(byte[] message)
    {
        using var input = new MemoryStream(message, writable: false);
        await Shell.RunAsync("doveadm", ["-c", ConfigPath, "save", "-u", User, "-m", "INBOX"], "dovecot-core", standardInputStream: input);
    }

    public string Log => File.Exists(_directory.Combine("dovecot.log")) ? File.ReadAllText(_directory.Combine("dovecot.log")) : string.Empty;

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        if (_introspection is not null)
        {
            await _introspection.DisposeAsync();
        }
        _directory.Dispose();
    }
}

public sealed class OAuth2Tests(OAuth2DovecotServer dovecot) : IClassFixture<OAuth2DovecotServer>
{
    private ImapFolderSource Source(string token, RecordingClientFactory clients) => new(
        new MailboxOptions
        {
            Name = "o365",
            Host = dovecot.Host,
            Port = dovecot.Port,
            Tls = ImapTlsMode.None,
            Auth = ImapAuthKind.OAuth2,
            UserName = OAuth2DovecotServer.User,
            SecretName = "email:o365:oauth2-token",
        },
        "INBOX",
        new EmailConnectorOptions(),
        new ImapConnector(clients, new InMemorySecrets(new Dictionary<string, string> { ["email:o365:oauth2-token"] = token })),
        NullLogger<ImapFolderSource>.Instance);

    [Fact]
    public async Task A_mailbox_with_oauth2_signs_in_with_the_bearer_token_from_the_secret_store()
    {
        var message = Corpus.WithAttachments("oauth", Corpus.Attachment("o.pdf", "application/pdf", Corpus.Bytes("o", 500)));
        using (var buffer = new MemoryStream())
        {
            message.WriteTo(buffer);
            await dovecot.DeliverAsync(buffer.ToArray());
        }
        var clients = new RecordingClientFactory();

        var result = await SyncDriver.RunAsync(Source(OAuth2DovecotServer.ValidToken, clients), null);

        Assert.Equal("o.pdf", Assert.Single(result.Documents).FileName);
        Assert.Contains(clients.AllClientLines, line => line.Contains("AUTHENTICATE XOAUTH2", StringComparison.Ordinal) ||
            line.Contains("AUTHENTICATE OAUTHBEARER", StringComparison.Ordinal));
        Assert.Contains(OAuth2DovecotServer.ValidToken, dovecot.IntrospectedTokens);
    }

    [Fact]
    public async Task An_expired_or_wrong_token_is_refused()
    {
        var source = Source("revoked-token", new RecordingClientFactory());

        await Assert.ThrowsAsync<AuthenticationException>(async () => await SyncDriver.RunAsync(source, null));
        Assert.Contains("revoked-token", dovecot.IntrospectedTokens);
    }
}
