namespace Kmrl.DocumentApi.Extensions;

/// <summary>
/// What one process of document-api does (<c>DocumentApi:Role</c>). One image, one Dapr app id (<c>document-api</c>),
/// so the catalog's state keys and the workflow actors are the same for every role: daprd registers the workflow
/// actor types only on a sidecar whose app opened the work-item stream (dapr/dapr wfengine.go,
/// WithOnGetWorkItemsConnectionCallback), so workflows run only on pipeline pods, and an app that declares no
/// subscription is given no deliveries.
/// </summary>
public enum DocumentApiRole
{
    /// <summary>Everything in one process: the local run (dapr.yaml) and the tests.</summary>
    Combined,

    /// <summary>Uploads and reads: no subscriptions, no workflow worker. Scales with requests.</summary>
    Intake,

    /// <summary>The subscriptions and the workflow worker, no public API. Scales with the backlog.</summary>
    Pipeline,
}

public sealed class DocumentApiRoleOptions
{
    public const string Section = "DocumentApi";

    public DocumentApiRole Role { get; set; } = DocumentApiRole.Combined;

    public bool ServesApi => Role != DocumentApiRole.Pipeline;

    public bool RunsPipeline => Role != DocumentApiRole.Intake;
}
