using System.Diagnostics;

namespace Kmrl.Connectors.Observability;

/// <summary>Trace spans of the host: a run, and per document the source read, the blob write and the publish.</summary>
internal static class ConnectorTelemetry
{
    public const string Name = "Kmrl.Connectors";

    public static readonly ActivitySource ActivitySource = new(Name);

    public const string ConnectorTag = "kmrl.connector";
    public const string SourceTag = "kmrl.source";
    public const string SourceIdTag = "kmrl.source_id";
    public const string OutcomeTag = "kmrl.outcome";
    public const string ReasonTag = "kmrl.reason";
}
