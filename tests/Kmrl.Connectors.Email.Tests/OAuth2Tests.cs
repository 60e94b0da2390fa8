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
/// Dovecot (the shared fixture in its OAuth2 mode) validating bearer tokens against a local RFC 7662 introspection
/// endpoint: the same SASL XOAUTH2 exchange Microsoft 365 and Gmail accept.
/// </summary>
public sealed class OAuth2DovecotServer : IAsyncLifetime
{
    public const string User = "carol";
    public const string ValidToken = "kmrl-test-access-token";
    private WebApplication? _introspection;
    private DovecotImapServer? _dovecot;

    public ConcurrentQueue<string> IntrospectedTokens { get; } = new();

    public string Host => Dovecot.Host;

    public int Port => Dovecot.Port;

    private DovecotImapServer Dovecot => _dovecot ?? throw new InvalidOperationException("Dovecot is not started.");

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

        _dovecot = new DovecotImapServer { OAuth2IntrospectionUrl = introspectionUrl };
        await _dovecot.InitializeAsync();
    }

    public Task DeliverAsync(byte[] message) => Dovecot.DeliverAsync(User, message);

    public string Log => Dovecot.Log;

    public async Task DisposeAsync()
    {
        if (_dovecot is not null)
        {
            await _dovecot.DisposeAsync();
        }
        if (_introspection is not null)
        {
            await _introspection.DisposeAsync();
        }
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
            Secret = "email-o365",
        },
        "INBOX",
        new EmailConnectorOptions(),
        new ImapConnector(clients, InMemorySecrets.One("email-o365", "oauth2-token", token)),
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

        var result = await SourceContract.RunAsync(Source(OAuth2DovecotServer.ValidToken, clients), null, EmailHost.Options());

        Assert.Equal("o.pdf", Assert.Single(result.Documents).FileName);
        Assert.Contains(clients.AllClientLines, line => line.Contains("AUTHENTICATE XOAUTH2", StringComparison.Ordinal) ||
            line.Contains("AUTHENTICATE OAUTHBEARER", StringComparison.Ordinal));
        Assert.Contains(OAuth2DovecotServer.ValidToken, dovecot.IntrospectedTokens);
    }

    [Fact]
    public async Task An_expired_or_wrong_token_is_refused()
    {
        var source = Source("revoked-token", new RecordingClientFactory());

        await Assert.ThrowsAsync<AuthenticationException>(async () => await SourceContract.RunAsync(source, null, EmailHost.Options()));
        Assert.Contains("revoked-token", dovecot.IntrospectedTokens);
    }
}
