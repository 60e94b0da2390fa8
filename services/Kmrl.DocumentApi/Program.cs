using Kmrl.DocumentApi.Apis;
using Kmrl.DocumentApi.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDocumentProcessing();
builder.AddDocumentSearch();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapDocumentsApi();
app.MapSearchApi();

app.Run();

/// <summary>Entry point; public so the API tests can host it with WebApplicationFactory.</summary>
public partial class Program;
