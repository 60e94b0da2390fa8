using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace Kmrl.DocumentApi.Tests.Fakes;

public sealed class TestActivityContext(string instanceId = "doc-test") : WorkflowActivityContext
{
    public override TaskIdentifier Identifier => new("test-activity");

    public override string InstanceId => instanceId;

    public override string TaskExecutionKey => instanceId + "-1";
}
