using Kmrl.Connectors.Apis;
using Kmrl.Connectors.Maximo;
using Kmrl.Contracts;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConnectorHost(DocumentSources.Maximo, DaprNames.Bindings.MaximoSchedule);
builder.AddMaximoSources();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapConnectorHostApi();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
