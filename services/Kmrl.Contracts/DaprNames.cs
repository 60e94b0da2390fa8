namespace Kmrl.Contracts;

/// <summary>
/// Every Dapr name the services use: app ids, components, topics and bindings.
/// The deployment tests check each one against components/, dapr.yaml and k8s/.
/// </summary>
public static class DaprNames
{
    public static class AppIds
    {
        public const string DocumentApi = "document-api";
        public const string EmailConnector = "email-connector";
        public const string SharePointConnector = "sharepoint-connector";
        public const string MaximoConnector = "maximo-connector";
        public const string WhatsAppConnector = "whatsapp-connector";

        public static readonly IReadOnlyList<string> All =
            [DocumentApi, EmailConnector, SharePointConnector, MaximoConnector, WhatsAppConnector];

        public static readonly IReadOnlyList<string> Connectors =
            [EmailConnector, SharePointConnector, MaximoConnector, WhatsAppConnector];
    }

    public static class Components
    {
        /// <summary>State store for checkpoints, the catalog and workflow state (actorStateStore).</summary>
        public const string StateStore = "statestore";
        public const string PubSub = "pubsub";
        /// <summary>Output binding that holds document content (claim check).</summary>
        public const string BlobStore = "blobstore";
        public const string SecretStore = "secretstore";
        public const string LockStore = "lockstore";

        public static readonly IReadOnlyList<string> All = [StateStore, PubSub, BlobStore, SecretStore, LockStore];
    }

    public static class Topics
    {
        public const string DocumentDiscovered = "document-discovered";
        public const string DocumentDiscoveredDeadLetter = "document-discovered-deadletter";
        public const string DocumentRemovedAtSource = "document-removed-at-source";
        public const string DocumentProcessed = "document-processed";
        public const string DocumentRejected = "document-rejected";
        public const string DocumentDeadlineApproaching = "document-deadline-approaching";
        public const string ConnectorSyncFailed = "connector-sync-failed";

        /// <summary>Prefix of the per-department routing topics, e.g. <c>documents-for-finance</c>.</summary>
        public const string DepartmentRoutingPrefix = "documents-for-";

        public static string ForDepartment(string department) => DepartmentRoutingPrefix + department;

        public static readonly IReadOnlyList<string> All =
        [
            DocumentDiscovered, DocumentDiscoveredDeadLetter, DocumentRemovedAtSource, DocumentProcessed,
            DocumentRejected, DocumentDeadlineApproaching, ConnectorSyncFailed,
        ];
    }

    /// <summary>Cron input bindings, one per connector; the name is also the route daprd POSTs to.</summary>
    public static class Bindings
    {
        public const string EmailSchedule = "email-schedule";
        public const string SharePointSchedule = "sharepoint-schedule";
        public const string MaximoSchedule = "maximo-schedule";
        public const string WhatsAppSchedule = "whatsapp-schedule";

        public static readonly IReadOnlyList<string> All =
            [EmailSchedule, SharePointSchedule, MaximoSchedule, WhatsAppSchedule];
    }

    /// <summary>Operations of the bindings.localstorage (and blob-like) output binding.</summary>
    public static class BlobOperations
    {
        public const string Create = "create";
        public const string Get = "get";
        public const string Delete = "delete";
        public const string List = "list";
        public const string FileNameMetadata = "fileName";

        /// <summary>Request metadata of bindings.aws.s3 create: the data is base64, store it decoded.</summary>
        public const string DecodeBase64Metadata = "decodeBase64";
    }
}
