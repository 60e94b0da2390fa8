using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Processing.Isolation;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Extensions;

public static class TextExtractionExtensions
{
    /// <summary>
    /// The extractors and the tools behind them: used by the service and by its extraction worker, which registers
    /// the option values it was handed instead of binding configuration.
    /// </summary>
    public static IServiceCollection AddTextExtractors(this IServiceCollection services)
    {
        services.AddSingleton(sp => new TextExtractor(sp.GetRequiredService<IOcrEngine>(), sp.GetRequiredService<PdfTextReader>(),
            sp.GetRequiredService<IOptions<DocumentProcessingOptions>>().Value, sp.GetRequiredService<IOfficeConverter>()));
        services.AddSingleton<IOfficeConverter, LibreOfficeConverter>();
        services.AddSingleton(sp => new PdfTextReader(sp.GetRequiredService<IOcrEngine>(), sp.GetRequiredService<IPdfTools>(),
            sp.GetRequiredService<IOptions<DocumentProcessingOptions>>().Value));
        services.AddSingleton<IPdfTools, PopplerQpdfTools>();
        services.AddSingleton<TesseractOcrEngine>();
        services.AddSingleton<IOcrEngine>(sp => new PixelLimitedOcrEngine(sp.GetRequiredService<TesseractOcrEngine>(),
            sp.GetRequiredService<IOptions<OcrOptions>>(), sp.GetRequiredService<IOptions<PdfToolOptions>>()));
        services.AddSingleton<IsolatedTextExtraction>();
        services.AddSingleton<ITextExtraction>(sp => sp.GetRequiredService<IOptions<ExtractionIsolationOptions>>().Value.Enabled
            ? sp.GetRequiredService<IsolatedTextExtraction>()
            : sp.GetRequiredService<TextExtractor>());
        return services;
    }
}
