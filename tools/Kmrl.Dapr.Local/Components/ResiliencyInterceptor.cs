using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Kmrl.Dapr.Testing.Components;

/// <summary>
/// Applies the outbound policy of the component a Dapr API call names (state, publish, output bindings, secrets)
/// around the call, as daprd's API handlers wrap the component call in <c>resiliency.NewRunner</c> with
/// <c>ComponentOutboundPolicy(name, type)</c> (dapr v1.16.19 pkg/api/universal/state.go, secrets.go;
/// pkg/runtime/processor/binding/send.go; pkg/runtime/pubsub/publisher). ETag errors are permanent, as daprd marks
/// them (<c>backoff.Permanent</c>) for single-key operations; so are requests daprd refuses before any component
/// call (InvalidArgument, NotFound). Errors from the policy itself reach the app as daprd's Internal errors.
/// </summary>
public sealed class ResiliencyInterceptor(DaprSidecar sidecar) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var component = request switch
        {
            GetStateRequest r => r.StoreName,
            GetBulkStateRequest r => r.StoreName,
            SaveStateRequest r => r.StoreName,
            DeleteStateRequest r => r.StoreName,
            DeleteBulkStateRequest r => r.StoreName,
            ExecuteStateTransactionRequest r => r.StoreName,
            PublishEventRequest r => r.PubsubName,
            BulkPublishRequest r => r.PubsubName,
            InvokeBindingRequest r => r.Name,
            GetSecretRequest r => r.StoreName,
            GetBulkSecretRequest r => r.StoreName,
            _ => null,
        };
        if (component is null || !sidecar.Components.Any(c => c.Name == component))
        {
            return await continuation(request, context);
        }
        var policy = sidecar.Resiliency.ComponentOutbound(component);
        try
        {
            // The attempt's token is not the handler's own: an attempt the timeout cut is abandoned, as Go abandons
            // a call whose context is done.
            return await sidecar.Resiliency.RunAsync(policy, attempt => continuation(request, context).WaitAsync(attempt),
                IsPermanent, context.CancellationToken);
        }
        catch (Exception exception) when (exception is PolicyTimeoutException or CircuitBreakerOpenException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"{policy.Target}: {exception.Message}"));
        }
    }

    private static bool IsPermanent(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.Aborted or StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition };
}
