using Dapr.Workflow;
using Kmrl.BuildingBlocks;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.State;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Pipeline;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Security;
using Kmrl.DocumentApi.Workflows;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Extensions;

public static class DocumentProcessingExtensions
{
    public static TBuilder AddDocumentProcessing<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<DocumentApiRoleOptions>().BindConfiguration(DocumentApiRoleOptions.Section);
        var role = builder.Configuration.GetSection(DocumentApiRoleOptions.Section).Get<DocumentApiRoleOptions>() ?? new DocumentApiRoleOptions();
        services.AddOptions<DocumentProcessingOptions>().BindConfiguration(DocumentProcessingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OcrOptions>().BindConfiguration(OcrOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DocumentProcessingOptions>()
            .Validate(o => File.Exists(YamlClassificationRules.ResolvePath(o.RulesPath)), "DocumentProcessing:RulesPath names no file.");

        services.AddSingleton(sp => new ContentSniffer(sp.GetRequiredService<IOptions<DocumentProcessingOptions>>().Value));
        services.AddOptions<PdfToolOptions>().BindConfiguration(PdfToolOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExtractionIsolationOptions>().BindConfiguration(ExtractionIsolationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OfficeToolOptions>().BindConfiguration(OfficeToolOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddTextExtractors();
        services.AddOptions<ArchiveOptions>().BindConfiguration(ArchiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ISearchablePdfWriter, OcrMyPdfWriter>();
        services.AddSingleton<ScanArchive>();
        services.AddSingleton<IClassificationRules, YamlClassificationRules>();
        services.AddDaprBuildingBlocks();
        services.AddSingleton<StateStoreCatalog>();
        services.AddSingleton<ICatalog, BacklogTrackingCatalog>();
        services.AddSingleton<PipelineBacklog>();
        services.AddSingleton<CpuWorkLimiter>();
        services.AddSingleton<BulkLane>();
        if (role.RunsPipeline)
        {
            // The backlog is closed where documents become final: in the pipeline process.
            services.AddHealthChecks().AddCheck<PipelineBacklogHealthCheck>("pipeline-backlog");
            services.AddHostedService<PipelineBacklogReporter>();
        }
        services.AddDocumentContentStore(builder.Configuration);

        // Dapr.Workflow's source generator registers every workflow and activity of this assembly by type name (the
        // names the workflow calls by nameof); listing them here again only logged "already registered" at start.
        services.AddDaprWorkflow(_ => { });
        if (!role.RunsPipeline)
        {
            // The intake role keeps the workflow client (reprocess, dead-letter replay schedule through it) but opens no
            // work-item stream, so its sidecar hosts no workflow actors and runs no workflow.
            RemoveWorkflowWorker(services);
        }
        // The SDK registers the concrete client only; the adapter depends on the interface.
        services.AddSingleton<IDaprWorkflowClient>(sp => sp.GetRequiredService<DaprWorkflowClient>());
        services.AddSingleton<IDocumentWorkflows, DaprDocumentWorkflows>();
        services.AddSingleton<DocumentWorkflowStarter>();
        if (role.RunsPipeline)
        {
            services.AddHostedService<PipelineReconciler>();
        }

        services.AddDocumentApiSecurity();
        services.AddOpenApi();
        return builder;
    }

    private static void RemoveWorkflowWorker(IServiceCollection services)
    {
        static bool FromWorkflowSdk(Type? type) => type?.Assembly.GetName().Name?.StartsWith("Dapr.Workflow", StringComparison.Ordinal) == true;
        var workers = services.Where(descriptor => descriptor.ServiceType == typeof(IHostedService)
            && (FromWorkflowSdk(descriptor.ImplementationType) || FromWorkflowSdk(descriptor.ImplementationFactory?.Method.DeclaringType))).ToList();
        foreach (var worker in workers)
        {
            services.Remove(worker);
        }
    }
}
