using Kmrl.Connectors.WhatsApp.Apis;
using Kmrl.Connectors.WhatsApp.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWhatsAppConnector();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWhatsAppWebhookApi();

app.Run();
