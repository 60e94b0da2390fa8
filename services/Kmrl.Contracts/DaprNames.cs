namespace Kmrl.Contracts;

/// <summary>
/// Every Dapr name the services use: app ids, components, topics, bindings and secrets.
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
        /// <summary>Scanner hot folders (a local or mounted directory).</summary>
        public const string LocalFolderConnector = "local-folder-connector";
        /// <summary>Turns incidents, deadlines and routed documents into mail and webhook messages.</summary>
        public const string Notifications = "notifications";

        public static readonly IReadOnlyList<string> All =
            [DocumentApi, EmailConnector, SharePointConnector, MaximoConnector, WhatsAppConnector, LocalFolderConnector, Notifications];

        public static readonly IReadOnlyList<string> Connectors =
            [EmailConnector, SharePointConnector, MaximoConnector, WhatsAppConnector, LocalFolderConnector];
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
        /// <summary>
        /// The bulk lane: a connector run's documents after its first few (an import, a first sync). The pipeline
        /// admits only a bounded number of these at a time, so uploads and new arrivals on
        /// <see cref="DocumentDiscovered"/> never queue behind a whole import.
        /// </summary>
        public const string DocumentDiscoveredBulk = "document-discovered-bulk";
        public const string DocumentDiscoveredDeadLetter = "document-discovered-deadletter";
        public const string DocumentRemovedAtSource = "document-removed-at-source";
        public const string DocumentProcessed = "document-processed";
        public const string DocumentRejected = "document-rejected";
        public const string DocumentDeadlineApproaching = "document-deadline-approaching";
        public const string ConnectorSyncFailed = "connector-sync-failed";
        /// <summary>A source that had published <see cref="ConnectorSyncFailed"/> completed a run again.</summary>
        public const string ConnectorSyncRecovered = "connector-sync-recovered";
        /// <summary>A connector dead-lettered an item (listed in its <c>GET /connector/dead-letters</c>).</summary>
        public const string ConnectorItemDeadLettered = "connector-item-dead-lettered";
        /// <summary>
        /// Someone acknowledged a document's deadline: published by document-api (the staff pages and API), which
        /// owns the record, and by notifications (a reminder's link); document-api records the first, notifications
        /// stops reminding.
        /// </summary>
        public const string DeadlineAcknowledged = "deadline-acknowledged";
        /// <summary>document-api's pipeline has more documents waiting than its degraded depth (reported while it does).</summary>
        public const string PipelineBacklogHigh = "pipeline-backlog-high";

        /// <summary>Prefix of the per-department routing topics, e.g. <c>documents-for-finance</c>.</summary>
        public const string DepartmentRoutingPrefix = "documents-for-";

        public static string ForDepartment(string department) => DepartmentRoutingPrefix + department;

        public static readonly IReadOnlyList<string> All =
        [
            DocumentDiscovered, DocumentDiscoveredBulk, DocumentDiscoveredDeadLetter, DocumentRemovedAtSource, DocumentProcessed,
            DocumentRejected, DocumentDeadlineApproaching, ConnectorSyncFailed, ConnectorSyncRecovered, ConnectorItemDeadLettered,
            DeadlineAcknowledged, PipelineBacklogHigh,
        ];
    }

    /// <summary>Cron input bindings, one per connector; the name is also the route daprd POSTs to.</summary>
    public static class Bindings
    {
        public const string EmailSchedule = "email-schedule";
        public const string SharePointSchedule = "sharepoint-schedule";
        public const string MaximoSchedule = "maximo-schedule";
        public const string WhatsAppSchedule = "whatsapp-schedule";
        public const string LocalFolderSchedule = "local-folder-schedule";

        public static readonly IReadOnlyList<string> All =
            [EmailSchedule, SharePointSchedule, MaximoSchedule, WhatsAppSchedule, LocalFolderSchedule];
    }

    /// <summary>The notifications service's bindings: its cron tick (input) and one output binding per channel.</summary>
    public static class NotificationBindings
    {
        /// <summary>Cron input binding: deadline reminders and the daily digests are due-checked on each tick.</summary>
        public const string Schedule = "notifications-schedule";
        /// <summary>bindings.smtp: KMRL's mail server (operation <c>create</c>; metadata emailTo, subject).</summary>
        public const string Email = "notify-email";
        /// <summary>bindings.http: a chat webhook (Teams or any tool), the message as JSON (operation <c>post</c>).</summary>
        public const string Webhook = "notify-webhook";

        public static readonly IReadOnlyList<string> All = [Schedule, Email, Webhook];
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

    /// <summary>
    /// Secrets in the <see cref="Components.SecretStore"/> component. A secret is a name and its keys, as a Kubernetes
    /// Secret holds them (secretstores.kubernetes returns one Secret's data) and as secrets.json holds them locally
    /// (local.file with multiValued "true": each top-level object is one secret, its members the keys). Names are
    /// DNS-1123 subdomains and keys match [-._a-zA-Z0-9]+, so every pair can exist in Kubernetes. Configuration names the
    /// secret of a source (a mailbox, a Maximo server); the code names the keys.
    /// </summary>
    public static class Secrets
    {
        /// <summary>document-api's API keys: each key of the secret is a client, its value "&lt;api key&gt;;role,role".</summary>
        public const string DocumentApiApiKeys = "document-api-api-keys";

        /// <summary>The connectors' operator keys (status, sync requests, health details): like <see cref="DocumentApiApiKeys"/>, role <c>operator</c>.</summary>
        public const string ConnectorOperatorKeys = "connector-operator-keys";

        /// <summary>document-api's Entra ID client secret for the staff sign-in (key <c>client-secret</c>).</summary>
        public const string StaffSignIn = "staff-sign-in";

        /// <summary>The default secret of whatsapp-connector (keys in <see cref="WhatsAppKeys"/>).</summary>
        public const string WhatsApp = "whatsapp";

        /// <summary>The default secret of sharepoint-connector (keys in <see cref="SharePointKeys"/>).</summary>
        public const string SharePoint = "sharepoint";

        /// <summary>
        /// Who the notifications service writes to: key <c>operations</c> for incidents, one key per department for its
        /// reminders and digests; each value is addresses separated by ';' (bindings.smtp's emailTo separator).
        /// </summary>
        public const string NotificationRecipients = "notification-recipients";

        /// <summary>The mail server account of the notify-email binding (keys <c>user</c>, <c>password</c>; read by daprd).</summary>
        public const string NotificationSmtp = "notification-smtp";

        /// <summary>The webhook address of the notify-webhook binding (key <c>url</c>; read by daprd).</summary>
        public const string NotificationWebhook = "notification-webhook";

        /// <summary>The Redis password the components' secretKeyRef names (read by daprd, not by the apps).</summary>
        public const string RedisPassword = "redis-password";

        public static class WhatsAppKeys
        {
            public const string AccessToken = "access-token";
            public const string AppSecret = "app-secret";
            public const string VerifyToken = "verify-token";

            public static readonly IReadOnlyList<string> All = [AccessToken, AppSecret, VerifyToken];
        }

        public static class SharePointKeys
        {
            public const string TenantId = "tenant-id";
            public const string ClientId = "client-id";
            public const string ClientSecret = "client-secret";

            public static readonly IReadOnlyList<string> All = [TenantId, ClientId, ClientSecret];
        }

        /// <summary>A mailbox's secret: <c>password</c> for Auth Password, <c>oauth2-token</c> for Auth OAuth2.</summary>
        /// <summary>The staff sign-in's secret (<see cref="StaffSignIn"/>): the Entra ID app registration's client secret.</summary>
        public static class StaffSignInKeys
        {
            public const string ClientSecret = "client-secret";

            public static readonly IReadOnlyList<string> All = [ClientSecret];
        }

        public static class MailboxKeys
        {
            public const string Password = "password";
            public const string OAuth2Token = "oauth2-token";

            public static readonly IReadOnlyList<string> All = [Password, OAuth2Token];
        }

        /// <summary>A Maximo REST source's secret: <c>apikey</c> (AuthMode ApiKey) or <c>username</c> and <c>password</c> (MaxAuth).</summary>
        public static class MaximoRestKeys
        {
            public const string ApiKey = "apikey";
            public const string UserName = "username";
            public const string Password = "password";

            public static readonly IReadOnlyList<string> All = [ApiKey, UserName, Password];
        }

        /// <summary>
        /// An FTP/FTPS/SFTP export server's secret: <c>password</c>, or for SFTP <c>private-key</c> (OpenSSH/PEM) with an
        /// optional <c>private-key-passphrase</c>.
        /// </summary>
        public static class RemoteServerKeys
        {
            public const string Password = "password";
            public const string PrivateKey = "private-key";
            public const string PrivateKeyPassphrase = "private-key-passphrase";

            public static readonly IReadOnlyList<string> All = [Password, PrivateKey, PrivateKeyPassphrase];
        }
    }
}
