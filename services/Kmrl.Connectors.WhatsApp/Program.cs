using Kmrl.Connectors.Apis;
using Kmrl.Connectors.WhatsApp.Apis;
using Kmrl.Connectors.WhatsApp;
using Kmrl.Contracts;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConnectorHost(DocumentSources.WhatsApp, DaprNames.Bindings.WhatsAppSchedule);
builder.AddWhatsAppSources();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapConnectorHostApi();
app.MapWhatsAppWebhookApi();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
