using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Dapr.Workflow.Worker;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace Kmrl.DocumentApi.Tests.Api;

/// <summary>The worker can build the workflow and every activity from the app's container (names and dependencies).</summary>
public sealed class RegistrationTests(DocumentApiFactory factory) : IClassFixture<DocumentApiFactory>
{
    public static TheoryData<string> Activities() =>
    [
        nameof(ValidateDocumentActivity), nameof(DeduplicateDocumentActivity), nameof(ExtractTextActivity), nameof(DetectLanguageActivity),
        nameof(ClassifyDocumentActivity), nameof(SummariseDocumentActivity), nameof(CatalogDocumentActivity), nameof(RejectDocumentActivity),
    ];

    // The worker's own factory, filled from the options AddDaprWorkflow registered, as at worker start.
    private IWorkflowsFactory Registered() => factory.Services.GetRequiredService<IWorkflowsFactory>();

    [Theory]
    [MemberData(nameof(Activities))]
    public void Each_activity_is_registered_under_its_class_name_and_builds_from_the_container(string name)
    {
        using var scope = factory.Services.CreateScope();

        var created = Registered().TryCreateActivity(new TaskIdentifier(name), scope.ServiceProvider, out var activity, out var error);

        Assert.True(created, error?.ToString());
        Assert.Equal(name, activity!.GetType().Name);
    }

    [Fact]
    public void The_workflow_is_registered_under_its_class_name()
    {
        using var scope = factory.Services.CreateScope();

        var created = Registered().TryCreateWorkflow(new TaskIdentifier(nameof(DocumentProcessingWorkflow)), scope.ServiceProvider, out var workflow, out var error);

        Assert.True(created, error?.ToString());
        Assert.IsType<DocumentProcessingWorkflow>(workflow);
    }
}
