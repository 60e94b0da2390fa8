using System.Globalization;
using Kmrl.DocumentApi.Model;
using Microsoft.Extensions.Localization;

namespace Kmrl.DocumentApi.Ui;

/// <summary>A language as a reader names it (മലയാളം, English, हिन्दी), not its code; "mixed" and "und" in plain words.</summary>
public static class LanguageNames
{
    public static string Of(string? code, IStringLocalizer localizer) => code switch
    {
        null or "" => "",
        Languages.Mixed => localizer["language:mixed"],
        Languages.Undetermined => localizer["language:und"],
        _ => NativeName(code),
    };

    public static string Of(IEnumerable<string> codes, IStringLocalizer localizer) => string.Join(", ", codes.Select(code => Of(code, localizer)));

    private static string NativeName(string code)
    {
        try
        {
            var name = CultureInfo.GetCultureInfo(code).NativeName;
            return string.IsNullOrWhiteSpace(name) ? code : name;
        }
        catch (CultureNotFoundException)
        {
            return code;
        }
    }
}
