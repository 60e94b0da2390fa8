using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing.Isolation;

// The same binary is the extraction worker the service keeps a pool of (see ExtractionIsolationOptions).
if (ExtractionWorker.IsInvoked(args)) return await ExtractionWorker.RunAsync();

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDocumentProcessing();
builder.AddDocumentSearch();
builder.AddStaffPages();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapDocumentsApi();
app.MapSearchApi();
app.MapInboxApi();
app.MapStaffPages();

app.Run();
return 0;

/// <summary>Entry point; public so the API tests can host it with WebApplicationFactory.</summary>
public partial class Program;
