namespace Kmrl.Dapr.Testing.Components;

/// <summary>
/// daprd could not initialise a component and exits (dapr v1.16.19 pkg/runtime/processor/components.go: without
/// <c>spec.ignoreErrors</c> an init error is fatal, "Error processing component, daprd will exit gracefully"). The
/// message carries daprd's <c>INIT_COMPONENT_FAILURE</c> text, the component's own error included.
/// </summary>
public sealed class ComponentInitException(string appId, string name, string type, string version, string error)
    : Exception($"daprd for '{appId}' exited: process component {name} error: [INIT_COMPONENT_FAILURE]: " +
        $"initialization error occurred for {name} ({type}/{version}): {error}. " +
        "Error processing component, daprd will exit gracefully")
{
    public ComponentInitException(string appId, RawComponent component, string error)
        : this(appId, component.Name, component.Type, component.Version, error)
    {
    }

    public string AppId { get; } = appId;

    public string Component { get; } = name;
}
