using Dapr.Client;
using Kmrl.Contracts;
using Kmrl.Dapr.Testing;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Testing.Servers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Kmrl.Notifications.Tests;

/// <summary>
/// The notifications service's production Program on the sidecar double, its notify-email binding pointed at a real
/// SMTP server on loopback and notify-webhook at a loopback listener; recipients in the secret store as in
/// production; the app's clock is a FakeTimeProvider so reminders and digests come due when a test says.
/// </summary>
public sealed class NotificationRig : IAsyncDisposable
{
    public const string Operations = "ops@kmrl.test;oncall@kmrl.test";
    public const string Finance = "finance@kmrl.test";
    public const string Legal = "legal@kmrl.test";

    private NotificationRig(FakeTimeProvider time) => Time = time;

    public FakeTimeProvider Time { get; }

    public LoopbackSmtpServer Smtp { get; } = new();

    public LoopbackWebhook Webhook { get; private set; } = null!;

    public DaprTestEnvironment Environment { get; private set; } = null!;

    public DaprSidecar Sidecar { get; private set; } = null!;

    public WebApplicationFactory<Program> App { get; private set; } = null!;

    public DaprClient Client { get; private set; } = null!;

    public static async Task<NotificationRig> StartAsync(RedisServer redis, DateTimeOffset now, ITestOutputHelper output,
        IReadOnlyDictionary<string, string>? settings = null, Action<DaprTestOptions>? configure = null)
    {
        var rig = new NotificationRig(new FakeTimeProvider(now));
        await rig.Smtp.InitializeAsync();
        rig.Webhook = await LoopbackWebhook.StartAsync();
        rig.Environment = await DaprTestEnvironment.StartAsync(redis, options =>
        {
            options.Log = output.WriteLine;
            options.Secrets[DaprNames.Secrets.NotificationRecipients] = new Dictionary<string, object>
            {
                ["operations"] = Operations,
                ["finance"] = Finance,
                ["legal"] = Legal,
            };
            options.MetadataOverrides[DaprNames.NotificationBindings.Email] = new Dictionary<string, string>
            {
                ["host"] = rig.Smtp.Host,
                ["port"] = rig.Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            options.MetadataOverrides[DaprNames.NotificationBindings.Webhook] = new Dictionary<string, string> { ["url"] = rig.Webhook.Url.ToString() };
            // A refused webhook is redelivered quickly here; production backs off exponentially.
            options.UseRetryPolicy(TimeSpan.FromMilliseconds(50), maxRetries: 10);
            configure?.Invoke(options);
        });
        rig.Sidecar = await rig.Environment.StartSidecarAsync(DaprNames.AppIds.Notifications);
        rig.App = await rig.Sidecar.StartAppAsync<Program>(settings, web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(rig.Time);
        }));
        rig.Client = rig.Sidecar.CreateClient();
        return rig;
    }

    public Task PublishAsync<T>(string topic, T integrationEvent) where T : class =>
        Client.PublishEventAsync(DaprNames.Components.PubSub, topic, integrationEvent);

    /// <summary>Waits (bounded) until the app has answered <paramref name="count"/> deliveries of <paramref name="topic"/> with success.</summary>
    public Task DeliveredAsync(string topic, int count) => DeliveredAsync(Sidecar, topic, count);

    /// <summary>The same for another app's sidecar in this environment.</summary>
    public static async Task DeliveredAsync(DaprSidecar sidecar, string topic, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sidecar.Deliveries.Count(d => d.Topic == topic && d.Outcome == DeliveryOutcome.Success) < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{topic}: fewer than {count} successful deliveries in 30 s.");
            }
            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Environment.DisposeAsync();
        await Webhook.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
