using System.Globalization;
using Kmrl.Connectors.Maximo.RemoteFolders;

namespace Kmrl.Connectors.Maximo.Ftp;

/// <summary>Parses MLSD facts (RFC 3659) and unix-style LIST lines into <see cref="RemoteEntry"/>.</summary>
public static class FtpListingParser
{
    /// <summary>Parses one MLSD line, e.g. <c>type=file;size=29;modify=20261126214459; WO-1.pdf</c>. Null for cdir/pdir and junk.</summary>
    public static RemoteEntry? ParseMlsdLine(string folder, string line)
    {
        var space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1)
        {
            return null;
        }
        var name = line[(space + 1)..];
        if (!IsPlainName(name))
        {
            return null;
        }
        string? type = null;
        long size = 0;
        var modified = DateTimeOffset.MinValue;
        foreach (var fact in line[..space].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = fact.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }
            var key = fact[..equals].ToLowerInvariant();
            var value = fact[(equals + 1)..];
            switch (key)
            {
                case "type":
                    type = value.ToLowerInvariant();
                    break;
                case "size":
                    _ = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out size);
                    break;
                case "modify":
                    modified = ParseMdtm(value) ?? DateTimeOffset.MinValue;
                    break;
            }
        }
        return type switch
        {
            "file" => new RemoteEntry(name, Combine(folder, name), size, modified, IsFile: true),
            "dir" => new RemoteEntry(name, Combine(folder, name), 0, modified, IsFile: false),
            // cdir, pdir, OS.unix=symlink and friends are not documents.
            _ => null,
        };
    }

    /// <summary>
    /// Parses one unix <c>ls -l</c> style line: <c>-rw-r--r-- 1 owner group 1234 Nov 26 21:44 name</c> (recent)
    /// or <c>... Nov 26  2025 name</c> (older). Times without a year are in the last ~6 months before <paramref name="now"/>.
    /// </summary>
    public static RemoteEntry? ParseUnixListLine(string folder, string line, DateTimeOffset now)
    {
        if (line.Length < 10 || line.StartsWith("total ", StringComparison.Ordinal))
        {
            return null;
        }
        var kind = line[0];
        if (kind is not ('-' or 'd'))
        {
            return null; // links, devices
        }
        // Split the first 8 whitespace-separated fields; the rest (which may contain spaces) is the name.
        var fields = new List<string>(8);
        var position = 0;
        while (fields.Count < 8)
        {
            while (position < line.Length && line[position] == ' ')
            {
                position++;
            }
            var start = position;
            while (position < line.Length && line[position] != ' ')
            {
                position++;
            }
            if (start == position)
            {
                return null;
            }
            fields.Add(line[start..position]);
        }
        if (position >= line.Length - 1)
        {
            return null;
        }
        var name = line[(position + 1)..];
        if (!IsPlainName(name))
        {
            return null;
        }
        if (!long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return null;
        }
        var modified = ParseListDate(fields[5], fields[6], fields[7], now);
        return new RemoteEntry(name, Combine(folder, name), kind == '-' ? size : 0, modified, kind == '-');
    }

    /// <summary>Parses an MDTM/MLSD time value <c>YYYYMMDDHHMMSS[.sss]</c> (always UTC).</summary>
    public static DateTimeOffset? ParseMdtm(string value)
    {
        var text = value.Trim();
        var dot = text.IndexOf('.');
        var whole = dot >= 0 ? text[..dot] : text;
        if (!DateTime.TryParseExact(whole, "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return null;
        }
        var result = new DateTimeOffset(parsed, TimeSpan.Zero);
        // Digits only (no exponent), so the fraction stays below a second; and never past the last representable tick
        // (fuzzing found 99991231235959.9999 throwing).
        if (dot >= 0 && double.TryParse("0" + text[dot..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fraction))
        {
            var ticks = (long)(fraction * TimeSpan.TicksPerSecond);
            if (DateTimeOffset.MaxValue.Ticks - result.Ticks >= ticks)
            {
                result = result.AddTicks(ticks);
            }
        }
        return result;
    }

    /// <summary>
    /// One path segment: not empty, no '/', not "." or "..". A listing that names "../x" or "a/b" (a hostile or broken
    /// server) would otherwise point the download and the archive move outside the folder (found by fuzzing).
    /// </summary>
    private static bool IsPlainName(string name) => name.Length > 0 && name is not ("." or "..") && !name.Contains('/');

    public static string Combine(string folder, string name) =>
        folder.EndsWith('/') ? folder + name : folder + "/" + name;

    private static DateTimeOffset ParseListDate(string month, string day, string yearOrTime, DateTimeOffset now)
    {
        var monthNumber = Array.FindIndex(CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames,
            m => m.Length > 0 && string.Equals(m, month, StringComparison.OrdinalIgnoreCase)) + 1;
        if (monthNumber == 0 || !int.TryParse(day, NumberStyles.None, CultureInfo.InvariantCulture, out var dayNumber))
        {
            return DateTimeOffset.MinValue;
        }
        // A date that does not exist (Feb 31, 25:61, year 0) is an unknown time, not an exception: one odd line must
        // not fail the listing of the whole folder (found by fuzzing).
        var colon = yearOrTime.IndexOf(':');
        if (colon < 0)
        {
            return int.TryParse(yearOrTime, NumberStyles.None, CultureInfo.InvariantCulture, out var year)
                && year is >= 1 and <= 9999 && dayNumber >= 1 && dayNumber <= DateTime.DaysInMonth(year, monthNumber)
                ? new DateTimeOffset(year, monthNumber, dayNumber, 0, 0, 0, TimeSpan.Zero)
                : DateTimeOffset.MinValue;
        }
        if (!int.TryParse(yearOrTime.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var hour) || hour > 23
            || !int.TryParse(yearOrTime.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var minute) || minute > 59
            || dayNumber < 1 || dayNumber > DateTime.DaysInMonth(now.Year, monthNumber))
        {
            return DateTimeOffset.MinValue;
        }
        var candidate = new DateTimeOffset(now.Year, monthNumber, dayNumber, hour, minute, 0, TimeSpan.Zero);
        // "Recent" means within six months back; a date later than tomorrow belongs to last year.
        return candidate > now.AddDays(1) ? candidate.AddYears(-1) : candidate;
    }
}
