using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Adapters;

/// <summary>
/// LibreOffice headless (<c>soffice --convert-to docx|xlsx|pptx</c>) and Debian's <c>msgconvert</c>
/// (libemail-outlook-message-perl) through <see cref="ToolProcess"/>. Every soffice call gets its own throwaway user
/// profile (<c>-env:UserInstallation</c>) inside the call's folder: two conversions sharing a profile block on its
/// lock, and a profile left by a killed run must not break the next.
/// </summary>
public sealed partial class LibreOfficeConverter(IOptions<OfficeToolOptions> options, ILogger<LibreOfficeConverter> logger) : IOfficeConverter
{
    private readonly OfficeToolOptions _options = options.Value;

    private TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    public async Task<string> ConvertToOpenXmlAsync(string path, string extension, LegacyApplication application, string folder, CancellationToken cancellationToken)
    {
        var target = application switch
        {
            LegacyApplication.Writer => "docx",
            LegacyApplication.Calc => "xlsx",
            _ => "pptx",
        };
        var input = Path.Combine(folder, "input" + extension);
        File.Copy(path, input);
        var output = Directory.CreateDirectory(Path.Combine(folder, "out")).FullName;
        var profile = new Uri(Path.Combine(folder, "profile")).AbsoluteUri;
        var run = await RunAsync(_options.SofficePath,
            ["--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault", $"-env:UserInstallation={profile}",
             "--convert-to", target, "--outdir", output, input],
            "LibreOffice", cancellationToken);
        var converted = Path.Combine(output, "input." + target);
        // soffice answers 0 when it could not load the file, too: the output file is the only sure sign.
        if (File.Exists(converted)) return converted;
        var said = ToolProcess.FirstLine(string.Join('\n', [run.Stdout, .. run.Stderr.Split('\n').Where(l => !l.Contains("javaldx", StringComparison.Ordinal))]));
        LogToolRefused(logger, _options.SofficePath, run.ExitCode, said);
        throw new DocumentUnreadableException(RejectionReasons.CorruptOffice, $"LibreOffice could not convert the {extension} file to {target}: {said}");
    }

    public async Task<string> ConvertMessageAsync(string path, string folder, CancellationToken cancellationToken)
    {
        var input = Path.Combine(folder, "input.msg");
        File.Copy(path, input);
        var output = Path.Combine(folder, "message.eml");
        var run = await RunAsync(_options.MsgconvertPath, ["--outfile", output, input], "msgconvert", cancellationToken);
        if (run.ExitCode == 0 && File.Exists(output)) return output;
        var said = ToolProcess.FirstLine(run.Stderr);
        LogToolRefused(logger, _options.MsgconvertPath, run.ExitCode, said);
        throw new DocumentUnreadableException(RejectionReasons.CorruptOffice, $"msgconvert could not read the Outlook message: {said}");
    }

    private async Task<ToolRun> RunAsync(string tool, IReadOnlyList<string> arguments, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await ToolProcess.RunAsync(tool, arguments, Timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The tool's own time limit, not the activity's: a file that hangs the converter once hangs it again.
            throw new DocumentUnreadableException(RejectionReasons.TimeBudgetExceeded, $"{name} ran longer than {Timeout.TotalSeconds:0} s on the file.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Converter {Tool} refused the file with exit code {ExitCode}: {Message}")]
    private static partial void LogToolRefused(ILogger logger, string tool, int exitCode, string message);
}
