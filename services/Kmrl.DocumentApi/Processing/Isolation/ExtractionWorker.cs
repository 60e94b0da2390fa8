using System.Text.Json;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Ports;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Processing.Isolation;

/// <summary>
/// The child side of isolated extraction: <c>Kmrl.DocumentApi extract &lt;request.json&gt; &lt;result.json&gt;</c> reads
/// one file with the same <see cref="TextExtractor"/> the service would use, writes the answer and exits. It starts no
/// web host and talks to no sidecar; whatever the file does to it ends with this process.
/// </summary>
public static class ExtractionWorker
{
    public const string Role = "extract";

    public static bool IsInvoked(string[] args) => args is [Role, _, _];

    public static async Task<int> RunAsync(string[] args)
    {
        PreferForOomKiller();
        var resultPath = args[2];
        try
        {
            var request = JsonSerializer.Deserialize<ExtractionWorkerRequest>(await File.ReadAllBytesAsync(args[1]), ExtractionWorkerExit.Json)
                ?? throw new InvalidDataException("The extraction request is empty.");
            await using var provider = Services(request);
            var extractor = provider.GetRequiredService<TextExtractor>();
            try
            {
                var text = await extractor.ExtractAsync(request.ContentPath, request.Kind, CancellationToken.None);
                await WriteAsync(resultPath, new ExtractionWorkerResponse(text, null, null));
                return ExtractionWorkerExit.Extracted;
            }
            catch (DocumentUnreadableException unreadable)
            {
                await WriteAsync(resultPath, new ExtractionWorkerResponse(null, unreadable.Reason, unreadable.Detail));
                return ExtractionWorkerExit.Unreadable;
            }
        }
        catch (OutOfMemoryException)
        {
            // The heap cap was reached: nothing more is allocated here, the exit code says it all.
            return ExtractionWorkerExit.OutOfMemory;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync(ex.ToString());
            return ExtractionWorkerExit.Failed;
        }
    }

    private static ServiceProvider Services(ExtractionWorkerRequest request)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole().AddFilter(level => level >= LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddSingleton(Options.Create(request.Processing));
        services.AddSingleton(Options.Create(request.Ocr));
        services.AddSingleton(Options.Create(request.PdfTools));
        services.AddSingleton(Options.Create(request.OfficeTools));
        services.AddTextExtractors();
        return services.BuildServiceProvider();
    }

    private static async Task WriteAsync(string path, ExtractionWorkerResponse response)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        await JsonSerializer.SerializeAsync(file, response, ExtractionWorkerExit.Json);
    }

    /// <summary>
    /// When the pod as a whole runs out of memory, the kernel's OOM killer should take this worker, not the service:
    /// raising one's own oom_score_adj needs no privilege. Best effort (not Linux, or /proc read-only).
    /// </summary>
    private static void PreferForOomKiller()
    {
        try
        {
            File.WriteAllText("/proc/self/oom_score_adj", "1000");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the worker's own limits still hold.
        }
    }
}
