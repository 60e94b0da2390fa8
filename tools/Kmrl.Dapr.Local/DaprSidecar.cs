using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Dapr.Testing.Grpc;
using Kmrl.Dapr.Testing.PubSub;
using Kmrl.Dapr.Testing.Runtime;
using Kmrl.Dapr.Testing.Workflow;
using DurableTask.Core;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kmrl.Dapr.Testing;

/// <summary>
/// A test double of daprd for one app: the Dapr gRPC API on one loopback port (DAPR_GRPC_ENDPOINT), the HTTP API
/// on another (DAPR_HTTP_ENDPOINT), and calls back into the app on its address: input bindings and pub/sub delivery.
/// </summary>
public sealed class DaprSidecar : IAsyncDisposable
{
    private readonly DaprTestEnvironment _environment;
    private readonly Dictionary<string, RedisStateStore> _stateStores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IOutputBinding> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LocalFileSecretStore> _secretStores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RedisLockStore> _lockStores = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pubSubs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _listeningBindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CronSchedule> _schedules = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _deliveryLoops = [];
    // The current app's deliveries and cron ticks; replaced when an app attaches again (see AttachAppAsync).
    private CancellationTokenSource? _attached;
    private readonly HttpClient _appClient = new() { Timeout = TimeSpan.FromSeconds(60) };
    private WebApplication? _web;
    private ILogger _log = NullLogger.Instance;

    private readonly ResourceSet _resources;
    private readonly RunSettings _ports;

    internal DaprSidecar(DaprTestEnvironment environment, RunApp app, ResourceSet resources, IReadOnlyList<ComponentSpec> components)
    {
        _environment = environment;
        _resources = resources;
        var appId = app.AppId;
        AppId = appId;
        AppDirPath = app.AppDirPath;
        WorkflowLimits = WorkflowLimits.Read(app.ConfigFilePath);
        _ports = app.Settings;
        SecretScopes = Runtime.SecretScopes.Read(app.ConfigFilePath)
            .Allowing(Kmrl.Contracts.DaprNames.Components.SecretStore, environment.Options.AllowedSecrets.GetValueOrDefault(appId) ?? []);
        Components = components;
        if (environment.Options.Log is { } write)
        {
            _log = new ActionLogger("daprd " + appId, write);
        }
        Resiliency = new ResiliencyRunner(resources.ResiliencyFor(appId), TimeProvider.System, _log);
        foreach (var component in components)
        {
            switch (component.Type)
            {
                case SupportedComponentTypes.StateRedis:
                    var prefix = component.Get("keyPrefix") switch
                    {
                        null or "" or "appid" => appId,
                        "name" => component.Name,
                        "none" => string.Empty,
                        var custom => custom,
                    };
                    _stateStores[component.Name] = new RedisStateStore(component.Name, environment.Redis, prefix);
                    break;
                case SupportedComponentTypes.PubSubRedis:
                    _pubSubs.Add(component.Name);
                    break;
                case SupportedComponentTypes.LocalStorage:
                    _bindings[component.Name] = new LocalStorageBinding(component.Name, component.Require("rootPath"));
                    break;
                case SupportedComponentTypes.Smtp:
                    _bindings[component.Name] = new SmtpBinding(component, appId);
                    break;
                case SupportedComponentTypes.Http:
                    _bindings[component.Name] = new HttpBinding(component);
                    break;
                case SupportedComponentTypes.LocalFileSecrets:
                    _secretStores[component.Name] = new LocalFileSecretStore(component, AppDirPath);
                    break;
                case SupportedComponentTypes.LockRedis:
                    _lockStores[component.Name] = new RedisLockStore(component.Name, environment.Redis, appId);
                    break;
                case SupportedComponentTypes.Cron:
                    // bindings/cron/cron.go Init: "schedule not set", or the parser's error as "invalid schedule format".
                    var schedule = component.Get("schedule");
                    if (string.IsNullOrEmpty(schedule))
                    {
                        throw new ComponentInitException(appId, component.Name, component.Type, component.Version, "schedule not set");
                    }
                    try
                    {
                        _schedules[component.Name] = CronSchedule.Parse(schedule);
                    }
                    catch (FormatException exception)
                    {
                        throw new ComponentInitException(appId, component.Name, component.Type, component.Version,
                            $"invalid schedule format '{schedule}': {exception.Message}");
                    }
                    break;
            }
        }
    }

    public string AppId { get; }

    /// <summary>daprd's working directory: the app's appDirPath in the environment's copy of the run files.</summary>
    public string AppDirPath { get; }

    /// <summary>The resiliency policies that apply to this app, with this sidecar's circuit breakers.</summary>
    public ResiliencyRunner Resiliency { get; }

    /// <summary>The test output the environment logs to, if any.</summary>
    internal Action<string>? Log => _environment.Options.Log;

    public IReadOnlyList<ComponentSpec> Components { get; }

    /// <summary>For the app's configuration: <c>DAPR_GRPC_ENDPOINT</c>.</summary>
    public string GrpcEndpoint { get; private set; } = string.Empty;

    /// <summary>For the app's configuration: <c>DAPR_HTTP_ENDPOINT</c>.</summary>
    public string HttpEndpoint { get; private set; } = string.Empty;

    public Uri? AppAddress { get; private set; }

    /// <summary>The workflow concurrency of the Configuration this sidecar started with (dapr.yaml configFilePath).</summary>
    public WorkflowLimits WorkflowLimits { get; }

    /// <summary>The app's Configuration <c>spec.secrets.scopes</c>, enforced on GetSecret and GetBulkSecret.</summary>
    public Runtime.SecretScopes SecretScopes { get; }

    public IReadOnlyList<Subscription> Subscriptions { get; private set; } = [];

    private int _stateConflicts;

    /// <summary>State writes refused: a stale ETag, a first-write conflict, or a failed transaction (whatever daprd answers for each).</summary>
    public int StateConflicts => Volatile.Read(ref _stateConflicts);

    internal void CountStateConflict() => Interlocked.Increment(ref _stateConflicts);

    /// <summary>Every delivery attempt to the app, for assertions on retries and drops.</summary>
    public ConcurrentBag<Delivery> Deliveries { get; } = [];

    /// <summary>The configuration keys an app (or a DaprClient) needs to talk to this sidecar.</summary>
    public IReadOnlyDictionary<string, string?> AppConfiguration => new Dictionary<string, string?>
    {
        ["DAPR_GRPC_ENDPOINT"] = GrpcEndpoint,
        ["DAPR_HTTP_ENDPOINT"] = HttpEndpoint,
        ["APP_API_TOKEN"] = _environment.Options.AppApiToken,
        ["DAPR_API_TOKEN"] = _environment.Options.DaprApiToken,
    };

    /// <summary>A DaprClient for this sidecar with the JSON options every Kmrl service registers (ServiceDefaults), and the API token if the sidecar requires one.</summary>
    public global::Dapr.Client.DaprClient CreateClient() => CreateClient(_environment.Options.DaprApiToken);

    /// <summary>As <see cref="CreateClient()"/>, presenting <paramref name="apiToken"/> (none when null) as dapr-api-token.</summary>
    public global::Dapr.Client.DaprClient CreateClient(string? apiToken) =>
        new global::Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint(GrpcEndpoint)
            .UseHttpEndpoint(HttpEndpoint)
            .UseJsonSerializationOptions(Kmrl.ServiceDefaults.KmrlJson.Options)
            .UseDaprApiToken(apiToken ?? string.Empty)
            .Build();

    internal async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Tests take free ports; the local runtime the run file's, as the CLI passes them to daprd.
            var ports = _environment.Options.InPlace ? _ports : RunSettings.None;
            kestrel.Listen(IPAddress.Loopback, ports.DaprGrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, ports.DaprHttpPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 4 * 1024 * 1024;
            if (_environment.Options.DaprApiToken is { } token)
            {
                grpc.Interceptors.Add<ApiTokenCheck.Interceptor>(token);
            }
            grpc.Interceptors.Add<ResiliencyInterceptor>();
        });
        builder.Services.AddSingleton(this);
        builder.Services.AddSingleton<DaprRuntimeApi>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<DaprRuntimeApi>, DaprRuntimeApi.MethodProvider>());
        builder.Services.AddWorkflowEngine(_environment.Options, WorkflowLimits);
        _web = builder.Build();
        if (_environment.Options.DaprApiToken is { } apiToken)
        {
            _web.Use(ApiTokenCheck.Http(apiToken));
        }
        _web.MapGrpcService<DaprRuntimeApi>();
        _web.MapGrpcService<WorkflowApi>();
        _web.MapGet("/v1.0/healthz", () => Results.NoContent());
        _web.MapGet("/v1.0/healthz/outbound", () => Results.NoContent());
        _web.Map("/v1.0/invoke/{appId}/method/{**path}", InvokeAsync);
        await _web.StartAsync();
        var addresses = _web.Urls.ToList();
        GrpcEndpoint = addresses[0];
        HttpEndpoint = addresses[1];
    }

    /// <summary>
    /// Connects the app, as daprd does once the app port answers: probes each input binding without a declared
    /// direction (OPTIONS; 2xx or 405 means the app listens), loads programmatic subscriptions (GET /dapr/subscribe) and declarative ones, and
    /// starts delivering. Attaching again (the app was stopped and started anew) is an app container restarting beside
    /// a daprd that keeps running, as in a Kubernetes pod: the deliveries to the old app end (an entry it had not
    /// acknowledged stays pending and is claimed again after processingTimeout), subscriptions are read again, and the
    /// workflow engine, with every instance it holds, carries on with the new app's worker.
    /// </summary>
    public async Task AttachAppAsync(Uri appAddress)
    {
        if (_attached is { } previous)
        {
            await previous.CancelAsync();
            await Task.WhenAll(_deliveryLoops);
            _deliveryLoops.Clear();
            _listeningBindings.Clear();
            previous.Dispose();
        }
        _attached = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var attached = _attached.Token;
        AppAddress = appAddress;
        foreach (var binding in Components.Where(c => c.Type == SupportedComponentTypes.Cron))
        {
            // A binding declared `direction: input` is read without asking the app (dapr
            // pkg/runtime/processor/binding/send.go: isBindingOfDirection skips the OPTIONS probe).
            if (DeclaresInput(binding))
            {
                _listeningBindings.Add(binding.Name);
                continue;
            }
            using var probe = AppRequest(HttpMethod.Options, RouteOf(binding));
            using var answer = await _appClient.SendAsync(probe);
            if (answer.IsSuccessStatusCode || answer.StatusCode == HttpStatusCode.MethodNotAllowed)
            {
                _listeningBindings.Add(binding.Name);
            }
        }

        var subscriptions = new List<Subscription>();
        using (var request = AppRequest(HttpMethod.Get, "dapr/subscribe"))
        using (var response = await _appClient.SendAsync(request))
        {
            if (response.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                subscriptions.AddRange(Subscription.ParseProgrammatic(document.RootElement));
            }
        }
        subscriptions.AddRange(_resources.Subscriptions
            .Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(AppId))
            .Select(s => new Subscription(s.PubSubName, s.Topic, s.Route ?? string.Empty, s.Rules, s.DeadLetterTopic)));
        foreach (var subscription in subscriptions.Where(s => !_pubSubs.Contains(s.PubSubName)))
        {
            throw new InvalidOperationException($"App '{AppId}' subscribes to '{subscription.Topic}' on pub/sub '{subscription.PubSubName}', which is not loaded for it.");
        }
        Subscriptions = subscriptions;
        _log.LogInformation("App {AppId} attached at {Address}: input bindings [{Bindings}], subscriptions [{Topics}]",
            AppId, appAddress, string.Join(", ", _listeningBindings), string.Join(", ", subscriptions.Select(s => s.Topic)));

        if (_environment.Options.CronRealTime)
        {
            foreach (var binding in Components.Where(c => c.Type == SupportedComponentTypes.Cron && _listeningBindings.Contains(c.Name)))
            {
                _deliveryLoops.Add(Task.Run(() => RunCronAsync(binding, _schedules[binding.Name], attached)));
            }
        }

        foreach (var subscription in subscriptions)
        {
            var target = new DeliveryTarget(AppId, AppId + "-" + Guid.NewGuid().ToString("N")[..8], appAddress, subscription,
                Resiliency, Resiliency.ComponentInbound(subscription.PubSubName), RedeliveryOf(subscription.PubSubName),
                _appClient, _environment.Options.AppApiToken, _log, Deliveries);
            _deliveryLoops.Add(Task.Run(() => _environment.Broker.DeliverAsync(target, attached)));
        }
    }

    private static bool DeclaresInput(ComponentSpec binding) =>
        binding.Get("direction")?.Split(',').Any(d => d.Trim().Equals("input", StringComparison.OrdinalIgnoreCase)) == true;

    /// <summary>Whether daprd delivers the input binding to the app: declared `direction: input`, or the app answered its start-up probe.</summary>
    public bool AppListensTo(string bindingName) => _listeningBindings.Contains(bindingName);

    /// <summary>Fires one event of a cron input binding now, as its schedule would; returns the app's status code.</summary>
    public async Task<HttpStatusCode> FireCronAsync(string bindingName)
    {
        var binding = Components.FirstOrDefault(c => c.Name == bindingName && c.Type == SupportedComponentTypes.Cron)
            ?? throw new InvalidOperationException($"Cron binding '{bindingName}' is not loaded for '{AppId}'.");
        if (!_listeningBindings.Contains(bindingName))
        {
            throw new InvalidOperationException($"App '{AppId}' did not answer the OPTIONS probe of '{bindingName}': daprd would not deliver to it.");
        }
        using var request = AppRequest(HttpMethod.Post, RouteOf(binding));
        request.Content = new ByteArrayContent([]);
        using var response = await _appClient.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The parsed schedule of a cron binding loaded for this app.</summary>
    public CronSchedule CronScheduleOf(string bindingName) =>
        _schedules.TryGetValue(bindingName, out var schedule) ? schedule : throw new InvalidOperationException($"Cron binding '{bindingName}' is not loaded for '{AppId}'.");

    // The binding's own scheduler (dapr/kit cron, started by the binding's Read): each entry fires in its own
    // goroutine, so a slow app does not delay the next tick; daprd sends it to the app under the binding's inbound
    // policy and the binding ignores the result.
    private async Task RunCronAsync(ComponentSpec binding, CronSchedule schedule, CancellationToken cancellationToken)
    {
        var policy = Resiliency.ComponentInbound(binding.Name);
        var next = schedule.Next(TimeProvider.System.GetUtcNow());
        while (!cancellationToken.IsCancellationRequested)
        {
            // A timer may wake a little early, and a delay under a millisecond is no delay at all: wait until the
            // fire time has really passed, or one tick would fire many times (robfig/cron fires an entry once, then
            // schedules it from the time it woke).
            var now = TimeProvider.System.GetUtcNow();
            var remaining = next - now;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            next = schedule.Next(now);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await Resiliency.RunAsync(policy, async attempt =>
                    {
                        using var request = AppRequest(HttpMethod.Post, RouteOf(binding));
                        request.Content = new ByteArrayContent([]);
                        using var response = await _appClient.SendAsync(request, attempt);
                        return response.IsSuccessStatusCode ? response.StatusCode
                            : throw new HttpRequestException($"app returned {(int)response.StatusCode}", null, response.StatusCode);
                    }, isPermanent: null, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _log.LogWarning("Cron tick of {Binding} failed: {Error}", binding.Name, exception.Message);
                }
            }, CancellationToken.None);
        }
    }

    internal RedisStateStore StateStore(string name) =>
        _stateStores.TryGetValue(name, out var store) ? store : throw NotFound("state store", name);

    internal IOutputBinding OutputBinding(string name) =>
        _bindings.TryGetValue(name, out var binding) ? binding : throw NotFound("output binding", name);

    internal LocalFileSecretStore SecretStore(string name) =>
        _secretStores.TryGetValue(name, out var store) ? store : throw NotFound("secret store", name);

    internal RedisLockStore LockStore(string name) =>
        _lockStores.TryGetValue(name, out var store) ? store : throw NotFound("lock store", name);

    internal async Task PublishAsync(string pubSubName, string topic, byte[] data, string? contentType, IDictionary<string, string> metadata)
    {
        if (!_pubSubs.Contains(pubSubName))
        {
            throw NotFound("pubsub", pubSubName);
        }
        var rawPayload = metadata.TryGetValue("rawPayload", out var raw) && raw == "true";
        var envelope = rawPayload ? data : CloudEvents.Wrap(AppId, pubSubName, topic, data, contentType, TimeProvider.System);
        await _environment.Broker.PublishAsync(topic, envelope);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_deliveryLoops);
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        _appClient.Dispose();
        _attached?.Dispose();
        _stopping.Dispose();
    }

    private async Task InvokeAsync(HttpContext context, string appId, string path)
    {
        var target = _environment.FindApp(appId);
        if (target?.AppAddress is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new { errorCode = "ERR_DIRECT_INVOKE", message = $"app id {appId} is not running" });
            return;
        }
        using var request = target.AppRequest(new HttpMethod(context.Request.Method), path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        foreach (var header in context.Request.Headers.Where(h => h.Key.StartsWith("x-", StringComparison.OrdinalIgnoreCase) || h.Key == "Authorization"))
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
        }
        using var response = await target._appClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } type)
        {
            context.Response.ContentType = type.ToString();
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private HttpRequestMessage AppRequest(HttpMethod method, string path)
    {
        var address = AppAddress ?? throw new InvalidOperationException($"No app is attached to the sidecar of '{AppId}'.");
        var request = new HttpRequestMessage(method, new Uri(address, path.TrimStart('/')));
        if (_environment.Options.AppApiToken is { } token)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        return request;
    }

    // pubsub.redis metadata: processingTimeout (default 60 s) and redeliverInterval (default 15 s).
    private Redelivery RedeliveryOf(string pubSubName)
    {
        var component = Components.FirstOrDefault(c => c.Name == pubSubName);
        return new Redelivery(Duration(component?.Get("processingTimeout"), TimeSpan.FromSeconds(60)),
            Duration(component?.Get("redeliverInterval"), TimeSpan.FromSeconds(15)));

        static TimeSpan Duration(string? text, TimeSpan fallback) => text switch
        {
            null or "" => fallback,
            "0" => TimeSpan.Zero,
            _ => ResourceLoader.ParseDuration(text),
        };
    }

    private static string RouteOf(ComponentSpec binding) => binding.Get("route") is { Length: > 0 } route ? route : "/" + binding.Name;

    private RpcException NotFound(string kind, string name) =>
        new(new Status(StatusCode.InvalidArgument, $"{kind} {name} is not found (not loaded for app '{AppId}')"));
}
