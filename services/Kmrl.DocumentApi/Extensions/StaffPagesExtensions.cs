using System.Globalization;
using Kmrl.BuildingBlocks.PubSub;
using Kmrl.BuildingBlocks.State;
using Kmrl.DocumentApi.Adapters;
using Kmrl.DocumentApi.Ports;
using Kmrl.DocumentApi.Security;
using Kmrl.DocumentApi.Ui;
using Kmrl.ServiceDefaults.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Options;

namespace Kmrl.DocumentApi.Extensions;

public static class StaffPagesExtensions
{
    public const string SignInSection = "DocumentApi:SignIn";
    public static readonly IReadOnlyList<string> Cultures = ["en", "ml"];

    /// <summary>
    /// The staff pages (Razor Pages under Ui/Pages, in English and Malayalam), the staff sign-in beside the API keys,
    /// and what the pages need: access checks, the inbox, deadline acknowledgements, the connectors' status.
    /// </summary>
    public static TBuilder AddStaffPages<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddStaffSignIn(SignInSection);
        var services = builder.Services;
        services.AddAuthorizationBuilder().AddStaffPolicies();
        services.AddRazorPages(options =>
        {
            options.RootDirectory = "/Ui/Pages";
            options.Conventions.AuthorizeFolder("/", StaffPolicies.Staff);
        });
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(options =>
        {
            var cultures = Cultures.Select(c => new CultureInfo(c)).ToList();
            options.DefaultRequestCulture = new RequestCulture("en");
            options.SupportedCultures = cultures;
            options.SupportedUICultures = cultures;
            // The person's choice (a cookie) wins over the browser's Accept-Language.
            options.RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });
        services.AddStaffKeyRing();
        services.AddSingleton<StateStoreStaffRecords>();
        services.AddSingleton<IDeadlineAcknowledgements>(sp =>
            new AnnouncedDeadlineAcknowledgements(sp.GetRequiredService<StateStoreStaffRecords>(), sp.GetRequiredService<IEventPublisher>()));
        services.AddSingleton<IInboxVisits>(sp => sp.GetRequiredService<StateStoreStaffRecords>());
        services.AddSingleton<DocumentAccess>();
        services.AddSingleton<DepartmentInbox>();
        services.AddOptions<ConnectorStatusOptions>().BindConfiguration(ConnectorStatusOptions.Section);
        services.AddHttpClient<ConnectorStatusReader>()
            .AddHttpMessageHandler(sp =>
            {
                // The sidecar the app's DaprClient uses (DAPR_HTTP_ENDPOINT, or its port); the handler adds the
                // DAPR_API_TOKEN of the environment itself.
                var configuration = sp.GetRequiredService<IConfiguration>();
                return new Dapr.Client.InvocationHandler
                {
                    DaprEndpoint = configuration["DAPR_HTTP_ENDPOINT"] ?? $"http://127.0.0.1:{configuration["DAPR_HTTP_PORT"] ?? "3500"}",
                };
            });
        return builder;
    }

    /// <summary>
    /// One Data Protection key ring for all replicas, in the state store (<see cref="StateStoreKeyRing"/> says why). The
    /// keys are stored as Data Protection writes them, in the catalog's store, which only the app's sidecar reaches.
    /// </summary>
    public static IServiceCollection AddStaffKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(Kmrl.Contracts.DaprNames.AppIds.DocumentApi);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new StateStoreKeyRing(sp.GetRequiredService<IStateStore>())));
        return services;
    }
}
