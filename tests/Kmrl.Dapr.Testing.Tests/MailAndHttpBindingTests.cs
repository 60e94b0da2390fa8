using System.Text;
using Dapr;
using Dapr.Client;
using Kmrl.Dapr.Testing.Components;
using Kmrl.Testing.Servers;

namespace Kmrl.Dapr.Testing.Tests;

/// <summary>bindings.smtp and bindings.http as components-contrib implements them, on the repository's notify-* components.</summary>
[Collection(RedisCollection.Name)]
public sealed class MailAndHttpBindingTests(RedisServer redis) : IAsyncLifetime
{
    private readonly LoopbackSmtpServer _smtp = new();
    private LoopbackWebhook _listener = null!;

    public async Task InitializeAsync()
    {
        await _smtp.InitializeAsync();
        _listener = await LoopbackWebhook.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private Task<DaprTestEnvironment> StartAsync(Action<DaprTestOptions>? configure = null) => DaprTestEnvironment.StartAsync(redis, options =>
    {
        options.MetadataOverrides["notify-email"] = new() { ["host"] = _smtp.Host, ["port"] = _smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        options.MetadataOverrides["notify-webhook"] = new() { ["url"] = _listener.BaseUrl + "/hooks" };
        configure?.Invoke(options);
    });

    [Fact]
    public async Task Smtp_create_sends_the_raw_data_as_html_to_every_address_of_email_to_with_the_request_subject()
    {
        await using var environment = await StartAsync();
        using var client = (await environment.StartSidecarAsync("notifications")).CreateClient();
        var request = new BindingRequest("notify-email", "create") { Data = Encoding.UTF8.GetBytes("<p>സമയപരിധി: 6 March</p>") };
        request.Metadata["emailTo"] = "finance@kmrl.test;legal@kmrl.test";
        request.Metadata["subject"] = "Deadline / സമയപരിധി";

        var response = await client.InvokeBindingAsync(request);

        var mail = Assert.Single(await _smtp.WaitForAsync(1));
        Assert.Equal(["finance@kmrl.test", "legal@kmrl.test"], mail.To);
        Assert.Equal("kmrl-documents@localhost", mail.From);
        Assert.Equal("Deadline / സമയപരിധി", mail.Subject);
        Assert.Equal("<p>സമയപരിധി: 6 March</p>", mail.Html);
        Assert.Equal("3", mail.Message.Headers["X-priority"]);
        Assert.True(response.Data.IsEmpty);
    }

    [Fact]
    public async Task Smtp_create_unquotes_data_that_is_a_quoted_string_as_http_callers_send_it()
    {
        await using var environment = await StartAsync();
        using var client = (await environment.StartSidecarAsync("notifications")).CreateClient();

        await client.InvokeBindingAsync("notify-email", "create", "<b>quoted</b>", new Dictionary<string, string> { ["emailTo"] = "ops@kmrl.test", ["subject"] = "q" });

        Assert.Equal("<b>quoted</b>", Assert.Single(await _smtp.WaitForAsync(1)).Html);
    }

    [Fact]
    public async Task Smtp_refuses_a_mail_without_subject_and_any_operation_but_create()
    {
        await using var environment = await StartAsync();
        using var client = (await environment.StartSidecarAsync("notifications")).CreateClient();
        var noSubject = new BindingRequest("notify-email", "create") { Data = "x"u8.ToArray() };
        noSubject.Metadata["emailTo"] = "ops@kmrl.test";

        var missing = await Assert.ThrowsAnyAsync<DaprException>(() => client.InvokeBindingAsync(noSubject));
        var wrongOperation = await Assert.ThrowsAnyAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("notify-email", "get")));

        Assert.Contains("smtp binding error: subject property not supplied in configuration- or request-metadata", Describe(missing));
        Assert.Contains("does not support operation get. supported operations:create", Describe(wrongOperation));
        Assert.Empty(_smtp.Received);
    }

    [Fact]
    public async Task An_smtp_component_without_a_port_or_with_a_user_but_no_password_stops_the_sidecar()
    {
        await using var environment = await StartAsync(options => options.MetadataOverrides["notify-email"]["port"] = "");
        var noPort = await Assert.ThrowsAsync<ComponentInitException>(() => environment.StartSidecarAsync("notifications"));
        Assert.Contains("smtp binding error: host and port fields are required in metadata", noPort.Message);

        await using var other = await StartAsync(options => options.MetadataOverrides["notify-email"]["user"] = "kmrl-notify");
        var noPassword = await Assert.ThrowsAsync<ComponentInitException>(() => other.StartSidecarAsync("notifications"));
        Assert.Contains("both user and password fields are required", noPassword.Message);
    }

    [Fact]
    public async Task Http_post_sends_json_to_the_url_with_path_and_capitalised_metadata_as_headers_and_fails_on_non_2xx()
    {
        await using var environment = await StartAsync();
        using var client = (await environment.StartSidecarAsync("notifications")).CreateClient();
        var post = new BindingRequest("notify-webhook", "post") { Data = "{\"kind\":\"digest\"}"u8.ToArray() };
        post.Metadata["path"] = "/teams";
        post.Metadata["X-Kmrl-Token"] = "t-1";

        var answer = await client.InvokeBindingAsync(post);
        _listener.RefuseNext(2);
        var down = await Assert.ThrowsAnyAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("notify-webhook", "create") { Data = "{}"u8.ToArray() }));
        var tolerated = await client.InvokeBindingAsync(new BindingRequest("notify-webhook", "post") { Data = "{}"u8.ToArray(), Metadata = { ["errorIfNot2XX"] = "false" } });

        var kept = Assert.Single(_listener.Received);
        Assert.Equal(("hooks/teams", "application/json; charset=utf-8", "t-1", "{\"kind\":\"digest\"}"), (kept.Path, kept.ContentType, kept.Headers["X-Kmrl-Token"], kept.Body));
        Assert.Equal("200", answer.Metadata["statusCode"]);
        Assert.Equal("{\"ok\":true}", Encoding.UTF8.GetString(answer.Data.Span));
        Assert.Contains("received status code 503", Describe(down));
        Assert.Equal("503", tolerated.Metadata["statusCode"]);
        Assert.Equal(2, _listener.Refused);
    }

    private static string Describe(Exception exception) => exception.ToString();
}
