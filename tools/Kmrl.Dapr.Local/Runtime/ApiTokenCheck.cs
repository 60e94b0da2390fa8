using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;

namespace Kmrl.Dapr.Testing.Runtime;

/// <summary>
/// daprd started with DAPR_API_TOKEN refuses every call to its API that does not carry the token as
/// <c>dapr-api-token</c>, and drops the header before the handler runs:
/// <list type="bullet">
/// <item>HTTP (dapr/dapr <c>pkg/http/server.go</c> useAPIAuthentication): 401 with the body <c>invalid api token</c>
/// (Go's http.Error: text/plain, a trailing newline); a URL containing <c>/healthz</c> is let through
/// (<c>pkg/runtime/security</c> ExcludedRoute), so health probes need no token.</item>
/// <item>gRPC (<c>pkg/api/grpc/auth.go</c>, installed in <c>server.go</c> getMiddlewareOptions on the API server, so on the
/// workflow engine's services too): Unauthenticated, status message "Unauthorized", for a missing header ("missing api
/// token in request metadata") or a different value ("authentication error: api token mismatch").</item>
/// </list>
/// </summary>
internal static class ApiTokenCheck
{
    public const string Header = "dapr-api-token";

    public const string MissingDetail = "missing api token in request metadata";

    public const string MismatchDetail = "authentication error: api token mismatch";

    /// <summary>The HTTP API's check; gRPC requests (HTTP/2, the gRPC listener only) are left to <see cref="Interceptor"/>.</summary>
    public static Func<HttpContext, RequestDelegate, Task> Http(string token) => async (context, next) =>
    {
        var request = context.Request;
        if (request.Protocol == HttpProtocol.Http2)
        {
            await next(context);
            return;
        }
        var url = request.Path.Value + request.QueryString.Value;
        if (url.Contains("/healthz", StringComparison.Ordinal) || request.Headers[Header].ToString() == token)
        {
            request.Headers.Remove(Header);
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync("invalid api token\n");
    };

    /// <summary>The gRPC API's check, on unary and streaming calls alike.</summary>
    internal sealed class Interceptor(string token) : global::Grpc.Core.Interceptors.Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
            UnaryServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
            ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(request, responseStream, context);
        }

        public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
            ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(requestStream, context);
        }

        public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
            IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Check(context);
            return continuation(requestStream, responseStream, context);
        }

        private void Check(ServerCallContext context)
        {
            // Go's metadata keeps the first value of a repeated key; so does Get.
            var presented = context.RequestHeaders.Get(Header)?.Value;
            if (presented is null)
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "Unauthorized"), new Metadata(), MissingDetail);
            }
            if (presented != token)
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "Unauthorized"), new Metadata(), MismatchDetail);
            }
        }
    }
}
