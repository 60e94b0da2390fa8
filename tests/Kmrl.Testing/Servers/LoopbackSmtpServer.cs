using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Xunit;

namespace Kmrl.Testing.Servers;

/// <summary>A mail that reached <see cref="LoopbackSmtpServer"/>: the envelope and the parsed message.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, MimeMessage Message)
{
    public string Subject => Message.Subject ?? string.Empty;

    public string Html => Message.HtmlBody ?? string.Empty;
}

/// <summary>
/// A real SMTP server in-process (the SmtpServer package) on a free loopback port: no TLS, no authentication, every
/// message kept in memory. It speaks the protocol a mail client (MailKit, gomail) speaks to KMRL's mail server.
/// </summary>
public sealed class LoopbackSmtpServer : IAsyncLifetime
{
    private readonly ConcurrentQueue<ReceivedMail> _received = new();
    private readonly CancellationTokenSource _stopping = new();
    private SmtpServer.SmtpServer? _server;
    private Task? _running;

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public IReadOnlyList<ReceivedMail> Received => [.. _received];

    /// <summary>Called with each mail and its bytes as received (the demo keeps them as .eml files); its failure fails that mail's DATA.</summary>
    public Action<ReceivedMail, byte[]>? OnReceived { get; init; }

    public Task InitializeAsync()
    {
        Port = FreePort.Next();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(_received, OnReceived));
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Waits until at least <paramref name="count"/> mails arrived (bounded), and returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (_received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_received.Count} of {count} mails arrived: {string.Join(" | ", _received.Select(m => m.Subject))}");
            }
            await Task.Delay(25);
        }
        return Received;
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (OperationCanceledException)
            {
                // Cancelling is how the server stops.
            }
        }
        _stopping.Dispose();
    }

    private sealed class Store(ConcurrentQueue<ReceivedMail> received, Action<ReceivedMail, byte[]>? onReceived) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var bytes = buffer.ToArray();
            using var stream = new MemoryStream(bytes);
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var mail = new ReceivedMail(
                $"{transaction.From.User}@{transaction.From.Host}",
                [.. transaction.To.Select(to => $"{to.User}@{to.Host}")],
                message);
            onReceived?.Invoke(mail, bytes);
            received.Enqueue(mail);
            return SmtpResponse.Ok;
        }
    }
}
