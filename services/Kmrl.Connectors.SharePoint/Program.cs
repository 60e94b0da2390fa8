using Kmrl.Connectors.SharePoint.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSharePointConnector();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
