namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// One step of a source-failure scenario (a connector against its fake or real source): steps run in order, each
/// changes the source through <typeparamref name="TContext"/> (the class fixture), runs the connector and
/// describes what happened as a named outcome.
/// </summary>
public sealed record SourceCase<TContext>(string Name, string Expected, Func<TContext, Task<string>> Run);
