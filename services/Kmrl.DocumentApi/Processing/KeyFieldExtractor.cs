using System.Globalization;
using System.Text.RegularExpressions;
using Kmrl.DocumentApi.Model;
using Kmrl.ServiceDefaults;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// Pulls the fields people act on out of the text: dates and deadlines (day-first, as written in India), work-order,
/// PO and invoice numbers, rupee amounts, Kochi Metro stations and train sets.
/// </summary>
public static partial class KeyFieldExtractor
{
    /// <summary>Stations of Kochi Metro Line 1 (canonical name first, then other spellings, English and Malayalam).</summary>
    public static readonly IReadOnlyList<(string Name, string[] Spellings)> Stations =
    [
        ("Aluva", ["Aluva", "Alwaye", "ആലുവ"]),
        ("Pulinchodu", ["Pulinchodu", "പുളിഞ്ചോട്"]),
        ("Companypady", ["Companypady", "കമ്പനിപ്പടി"]),
        ("Ambattukavu", ["Ambattukavu", "അമ്പാട്ടുകാവ്"]),
        ("Muttom", ["Muttom", "മുട്ടം"]),
        ("Kalamassery", ["Kalamassery", "കളമശ്ശേരി"]),
        ("Cochin University", ["Cochin University", "CUSAT", "കുസാറ്റ്"]),
        ("Pathadipalam", ["Pathadipalam", "പത്തടിപ്പാലം"]),
        ("Edappally", ["Edappally", "Edapally", "ഇടപ്പള്ളി"]),
        ("Changampuzha Park", ["Changampuzha Park", "ചങ്ങമ്പുഴ പാർക്ക്"]),
        ("Palarivattom", ["Palarivattom", "പാലാരിവട്ടം"]),
        ("JLN Stadium", ["JLN Stadium", "Jawaharlal Nehru Stadium", "ജെഎൽഎൻ സ്റ്റേഡിയം"]),
        ("Kaloor", ["Kaloor", "കലൂർ"]),
        ("Town Hall", ["Town Hall", "Lissie", "ടൗൺ ഹാൾ"]),
        ("MG Road", ["MG Road", "M.G. Road", "M G Road", "M.G.Road", "എം.ജി. റോഡ്", "എംജി റോഡ്"]),
        ("Maharaja's College", ["Maharaja's College", "Maharajas College", "മഹാരാജാസ് കോളേജ്"]),
        ("Ernakulam South", ["Ernakulam South", "എറണാകുളം സൗത്ത്"]),
        ("Kadavanthra", ["Kadavanthra", "കടവന്ത്ര"]),
        ("Elamkulam", ["Elamkulam", "എളംകുളം"]),
        ("Vyttila", ["Vyttila", "വൈറ്റില"]),
        ("Thaikoodam", ["Thaikoodam", "തൈക്കൂടം"]),
        ("Petta", ["Petta", "പേട്ട"]),
        ("Vadakkekotta", ["Vadakkekotta", "വടക്കേക്കോട്ട"]),
        ("SN Junction", ["SN Junction", "S.N. Junction", "എസ്.എൻ. ജംഗ്ഷൻ"]),
        ("Thrippunithura", ["Thrippunithura", "Tripunithura", "Tripunithura Terminal", "തൃപ്പൂണിത്തുറ"]),
    ];

    private static readonly string[] DeadlineBefore =
        ["deadline", "due date", "due on", "due by", "last date", "not later than", "on or before", "before", "by", "latest by", "submit by", "valid till", "valid until", "അവസാന തീയതി", "അവസാന തിയ്യതി"];

    private static readonly string[] DeadlineAfter = ["മുമ്പ്", "മുൻപ്", "നകം", "ക്കകം"];

    private static readonly string[] MonthNames = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames.Where(m => m.Length > 0).ToArray();

    public static KeyFields Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dates = new List<DateOnly>();
        var deadlines = new List<DateOnly>();
        foreach (var (date, index, length) in FindDates(text))
        {
            Add(dates, date);
            if (IsDeadline(text, index, length))
            {
                Add(deadlines, date);
            }
        }

        return new KeyFields(
            dates,
            deadlines,
            Distinct(WorkOrderPattern().Matches(text).Select(m => m.Groups["id"].Value)),
            Distinct(PurchaseOrderPattern().Matches(text).Select(m => m.Groups["id"].Value)),
            Distinct(InvoicePattern().Matches(text).Select(m => m.Groups["id"].Value)),
            Distinct(AmountPattern().Matches(text).Select(NormaliseAmount)),
            Stations.Where(s => s.Spellings.Any(spelling => ContainsName(text, spelling))).Select(s => s.Name).ToList(),
            Distinct(TrainSetPattern().Matches(text).Select(m => "TS-" + int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture).ToString("00", CultureInfo.InvariantCulture))));
    }

    private static IEnumerable<(DateOnly Date, int Index, int Length)> FindDates(string text)
    {
        foreach (Match m in NumericDatePattern().Matches(text))
        {
            if (IsWholeNumericDate(text, m) && TryDate(m.Groups["y"].Value, m.Groups["m"].Value, m.Groups["d"].Value, out var date))
                yield return (date, m.Index, m.Length);
        }
        foreach (Match m in IsoDatePattern().Matches(text))
        {
            if (TryDate(m.Groups["y"].Value, m.Groups["m"].Value, m.Groups["d"].Value, out var date))
                yield return (date, m.Index, m.Length);
        }
        foreach (Match m in DayMonthNamePattern().Matches(text))
        {
            if (TryMonth(m.Groups["mon"].Value, out var month) && TryDate(m.Groups["y"].Value, month.ToString(CultureInfo.InvariantCulture), m.Groups["d"].Value, out var date))
                yield return (date, m.Index, m.Length);
        }
        foreach (Match m in MonthNameDayPattern().Matches(text))
        {
            if (TryMonth(m.Groups["mon"].Value, out var month) && TryDate(m.Groups["y"].Value, month.ToString(CultureInfo.InvariantCulture), m.Groups["d"].Value, out var date))
                yield return (date, m.Index, m.Length);
        }
    }

    /// <summary>
    /// Not part of a longer run of digits and separators (a version "1.2.3.2024", a range "1/2/2024-5"): nothing of
    /// [\d/.-] just before, and no digit in the [\d/.-] run just after. Only the run is read, so this stays linear.
    /// </summary>
    private static bool IsWholeNumericDate(string text, Match m)
    {
        static bool IsPart(char c) => char.IsAsciiDigit(c) || c is '/' or '.' or '-';
        if (m.Index > 0 && IsPart(text[m.Index - 1])) return false;
        for (var at = m.Index + m.Length; at < text.Length && IsPart(text[at]); at++)
        {
            if (char.IsAsciiDigit(text[at])) return false;
        }
        return true;
    }

    private static bool IsDeadline(string text, int index, int length)
    {
        var before = text[Math.Max(0, index - 40)..index].ToLowerInvariant();
        var after = text[(index + length)..Math.Min(text.Length, index + length + 25)];
        return DeadlineBefore.Any(word => EndsWithWord(before, word)) || DeadlineAfter.Any(after.Contains);
    }

    /// <summary>The keyword sits shortly before the date, with only a few separator characters between.</summary>
    private static bool EndsWithWord(string before, string word)
    {
        var at = before.LastIndexOf(word, StringComparison.Ordinal);
        if (at < 0) return false;
        if (at > 0 && char.IsLetter(before[at - 1])) return false;
        var between = before[(at + word.Length)..];
        // Only separators and a few filler words may stand between the keyword and the date ("due on the 5/3").
        return between.Length <= 15 && WordsPattern().Matches(between).All(w => w.Value is "on" or "is" or "the" or "date");
    }

    private static bool TryMonth(string name, out int month)
    {
        month = Array.FindIndex(MonthNames, m => m.StartsWith(name[..Math.Min(3, name.Length)], StringComparison.OrdinalIgnoreCase)) + 1;
        return month > 0 && name.Length >= 3;
    }

    private static bool TryDate(string year, string month, string day, out DateOnly date)
    {
        date = default;
        if (!int.TryParse(year, CultureInfo.InvariantCulture, out var y) || !int.TryParse(month, CultureInfo.InvariantCulture, out var m) || !int.TryParse(day, CultureInfo.InvariantCulture, out var d))
            return false;
        if (y < 100) y += 2000;
        if (y is < 1990 or > 2100 || m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, m))
            return false;
        date = new DateOnly(y, m, d);
        return true;
    }

    private static bool ContainsName(string text, string name)
    {
        var at = 0;
        while ((at = text.IndexOf(name, at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            var startOk = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
            var end = at + name.Length;
            // Malayalam suffixes attach to the name (ആലുവയിൽ); only Latin names need a word end.
            var endOk = end >= text.Length || !char.IsAsciiLetterOrDigit(text[end]);
            if (startOk && endOk) return true;
            at = end;
        }
        return false;
    }

    private static string NormaliseAmount(Match m)
    {
        var digits = m.Groups["amount"].Value.Replace(",", string.Empty, StringComparison.Ordinal);
        var unit = m.Groups["unit"].Value.ToLowerInvariant();
        var suffix = unit.Length > 0 ? " " + unit : string.Empty;
        return "INR " + digits + suffix;
    }

    private static List<string> Distinct(IEnumerable<string> values) =>
        values.Where(v => v.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static void Add(List<DateOnly> list, DateOnly date)
    {
        if (!list.Contains(date)) list.Add(date);
    }

    /// <summary>
    /// NonBacktracking runs in time linear in the text whatever the pattern; the work-order and PO patterns had
    /// three optional `\s*` in a row, which the backtracking engine tried in every split (cubic).
    /// </summary>
    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    // The boundaries the old lookarounds expressed (NonBacktracking has none) are checked in IsWholeNumericDate.
    [GeneratedRegex(@"(?<d>\d{1,2})[/.-](?<m>\d{1,2})[/.-](?<y>\d{4}|\d{2})", Linear, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex NumericDatePattern();

    [GeneratedRegex(@"\b(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})\b", Linear, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex IsoDatePattern();

    [GeneratedRegex(@"\b(?<d>\d{1,2})(?:st|nd|rd|th)?[\s-]+(?:of\s+)?(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?[\s-]+(?<y>\d{4})\b", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex DayMonthNamePattern();

    [GeneratedRegex(@"\b(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?<y>\d{4})\b", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex MonthNameDayPattern();

    [GeneratedRegex(@"\b(?:WO|W\.O\.|work\s*order)\s*(?:no\.?|number|#)?\s*[:#-]?\s*(?<id>[A-Z]{0,4}[-/]?\d{4,}(?:[-/]\d+)*)", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex WorkOrderPattern();

    [GeneratedRegex(@"\b(?:PO|P\.O\.|purchase\s*order)\s*(?:no\.?|number|#)?\s*[:#-]?\s*(?<id>(?:[A-Z]{1,6}[-/])*\d{3,}(?:[-/][A-Z0-9]+)*)", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex PurchaseOrderPattern();

    [GeneratedRegex(@"\binvoice\s*(?:no\.?|number|#)\s*[:#-]?\s*(?<id>[A-Z0-9][A-Z0-9/-]{2,})", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex InvoicePattern();

    [GeneratedRegex(@"(?:₹|\bINR|\bRs\.?)\s?(?<amount>\d{1,3}(?:,\d{2,3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?:\s*(?<unit>lakh|lakhs|crore|crores)\b)?", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(@"\p{L}+", Linear, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex WordsPattern();

    [GeneratedRegex(@"\b(?:TS|train[\s-]?set)\s*[-#]?\s*(?<n>\d{1,2})\b", Linear | RegexOptions.IgnoreCase, RegexBudget.MatchTimeoutMilliseconds)]
    private static partial Regex TrainSetPattern();
}
