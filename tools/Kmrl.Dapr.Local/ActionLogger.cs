using Microsoft.Extensions.Logging;

namespace Kmrl.Dapr.Testing;

/// <summary>Writes the double's log lines to a test's output (xunit's ITestOutputHelper.WriteLine).</summary>
internal sealed class ActionLogger(string category, Action<string> write) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        try
        {
            write($"[{category} {logLevel}] {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // xunit refuses output after its test ended; a late delivery log is not worth failing for.
        }
    }
}

/// <summary>Sends an app's log to the same test output as the double's (DaprTestOptions.Log).</summary>
internal sealed class ActionLoggerProvider(string appId, Action<string> write) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ActionLogger(appId + " " + categoryName, write);

    public void Dispose()
    {
    }
}
