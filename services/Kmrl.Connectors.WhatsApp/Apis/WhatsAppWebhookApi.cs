using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kmrl.BuildingBlocks.Secrets;
using Kmrl.Connectors.WhatsApp.Webhooks;
using Kmrl.Contracts;
using Kmrl.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kmrl.Connectors.WhatsApp.Apis;

/// <summary>The Cloud API webhook: the verification handshake and signed message deliveries.</summary>
public static class WhatsAppWebhookApi
{
    public const string Route = "/webhooks/whatsapp";

    public static IEndpointRouteBuilder MapWhatsAppWebhookApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Route).WithTags("WhatsApp webhook");
        group.MapGet("/", VerifyAsync).WithName("VerifyWhatsAppWebhook");
        group.MapPost("/", ReceiveAsync).WithName("ReceiveWhatsAppWebhook");
        return app;
    }

    /// <summary>Meta's subscription check: echo <c>hub.challenge</c> when the verify token matches.</summary>
    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> VerifyAsync(
        HttpRequest request,
        ISecretProvider secrets,
        IOptions<WhatsAppOptions> options,
        WhatsAppMetrics metrics,
        CancellationToken cancellationToken)
    {
        var mode = request.Query["hub.mode"].ToString();
        var token = request.Query["hub.verify_token"].ToString();
        var challenge = request.Query["hub.challenge"].ToString();
        var expected = await secrets.GetSecretAsync(options.Value.Secret, DaprNames.Secrets.WhatsAppKeys.VerifyToken, cancellationToken);

        // Hashing first gives equal lengths, so not even the token's length leaks through timing.
        var tokenMatches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
        if (mode != "subscribe" || !tokenMatches || challenge.Length == 0)
        {
            metrics.WebhookRejected("verify-token");
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Webhook verification refused");
        }
        return TypedResults.Text(challenge, "text/plain", Encoding.UTF8);
    }

    /// <summary>
    /// A delivery: the raw body is read once and its signature checked before any parsing; then each media
    /// message becomes an inbox item and the reply goes out. Downloads happen in the sync run, not here.
    /// </summary>
    public static async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request,
        ISecretProvider secrets,
        WebhookIntake intake,
        WhatsAppMetrics metrics,
        IOptions<WhatsAppOptions> options,
        CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxWebhookBodyBytes;
        if (request.ContentLength > limit)
        {
            metrics.WebhookRejected("too-large");
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Webhook body too large");
        }
        var body = await BoundedRead.ReadAtMostAsync(request.Body, limit, cancellationToken);
        if (body is null)
        {
            metrics.WebhookRejected("too-large");
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Webhook body too large");
        }

        var appSecret = await secrets.GetSecretAsync(options.Value.Secret, DaprNames.Secrets.WhatsAppKeys.AppSecret, cancellationToken);
        if (!WebhookSignature.IsValid(body, request.Headers[WebhookSignature.HeaderName].ToString() is { Length: > 0 } h ? h : null,
                Encoding.UTF8.GetBytes(appSecret)))
        {
            metrics.WebhookRejected("signature");
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid webhook signature");
        }

        WebhookPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<WebhookPayload>(body);
        }
        catch (JsonException)
        {
            payload = null;
        }
        if (payload is null)
        {
            metrics.WebhookRejected("shape");
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Webhook body is not a WhatsApp payload");
        }

        await intake.AcceptAsync(payload, cancellationToken);
        return TypedResults.Ok();
    }
}
