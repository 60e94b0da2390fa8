using System.Runtime.InteropServices;
using Kmrl.Dapr.Local.Host;
using Kmrl.Dapr.Testing;

LocalRunOptions options;
try
{
    options = LocalRunOptions.Parse(args, RepositoryPaths.Root);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(LocalRunOptions.Usage);
    return 0;
}

using var stopping = new CancellationTokenSource();
// Ctrl-C and SIGTERM end the wait; the runtime then stops every child by PID before the process exits.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stopping.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stopping.Cancel(); });
using var log = new LogSink(Path.Combine(options.DataDirectory, "logs"));
return await new LocalRuntime(options, log).RunAsync(stopping.Token);
