using System.Buffers.Binary;
using System.Text;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// The names at the top of an OLE compound file (MS-CFB): what tells a Word 97 file ("WordDocument") from an Excel
/// one ("Workbook"), a PowerPoint one ("PowerPoint Document"), an Outlook message ("__substg1.0_…",
/// "__properties_version1.0") or an encrypted OOXML package ("EncryptedPackage"). Only the header, the FAT and the
/// directory chain are read, every chain bounded by the file's own sector count, so a hostile file cannot loop.
/// </summary>
public static class CompoundFile
{
    private const uint EndOfChain = 0xFFFFFFFE;
    private const uint NoStream = 0xFFFFFFFF;
    private const int HeaderDifatEntries = 109;

    /// <summary>The names of the root storage's children, or null when the file is not a readable compound file.</summary>
    public static IReadOnlyList<string>? RootNames(Stream content)
    {
        try
        {
            return ReadRootNames(content);
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentOutOfRangeException or IOException or OverflowException)
        {
            return null;
        }
    }

    public static IReadOnlyList<string>? RootNames(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return RootNames(stream);
    }

    /// <summary>The application a legacy Office file belongs to, from its root streams; null when none is known.</summary>
    public static LegacyApplication? ApplicationOf(IReadOnlyList<string> rootNames)
    {
        if (rootNames.Contains("WordDocument")) return LegacyApplication.Writer;
        if (rootNames.Contains("Workbook") || rootNames.Contains("Book")) return LegacyApplication.Calc;
        if (rootNames.Contains("PowerPoint Document")) return LegacyApplication.Impress;
        return null;
    }

    public static bool IsOutlookMessage(IReadOnlyList<string> rootNames) =>
        rootNames.Any(n => n.StartsWith("__substg1.0_", StringComparison.Ordinal)) && rootNames.Contains("__properties_version1.0");

    private static List<string>? ReadRootNames(Stream content)
    {
        if (content.Length < 512) return null;
        var header = new byte[512];
        content.Position = 0;
        content.ReadExactly(header);
        var shift = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x1E));
        if (shift is not (9 or 12)) return null;
        var sectorSize = 1 << shift;
        var sectorCount = (content.Length + sectorSize - 1) / sectorSize; // an upper bound for any chain
        var fatSectorCount = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0x2C));
        var firstDirectory = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0x30));
        var firstDifat = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0x44));
        if (fatSectorCount > sectorCount) return null;

        // Where the FAT's own sectors are: 109 in the header, the rest in a chain of DIFAT sectors.
        var fatSectors = new List<uint>();
        for (var i = 0; i < HeaderDifatEntries && fatSectors.Count < fatSectorCount; i++)
        {
            fatSectors.Add(BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0x4C + i * 4)));
        }
        var sector = new byte[sectorSize];
        var difat = firstDifat;
        for (var hops = 0; fatSectors.Count < fatSectorCount && difat < EndOfChain; hops++)
        {
            if (hops > sectorCount) return null;
            ReadSector(content, difat, sector, sectorSize);
            for (var i = 0; i < sectorSize / 4 - 1 && fatSectors.Count < fatSectorCount; i++)
            {
                fatSectors.Add(BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(i * 4)));
            }
            difat = BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(sectorSize - 4));
        }

        var fat = new uint[fatSectors.Count * (sectorSize / 4)];
        for (var f = 0; f < fatSectors.Count; f++)
        {
            ReadSector(content, fatSectors[f], sector, sectorSize);
            for (var i = 0; i < sectorSize / 4; i++)
            {
                fat[f * (sectorSize / 4) + i] = BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(i * 4));
            }
        }

        // The directory: 128-byte entries in the chain that starts at firstDirectory.
        var entries = new List<(string Name, uint Left, uint Right, uint Child)>();
        var next = firstDirectory;
        for (var hops = 0; next < EndOfChain; hops++)
        {
            if (hops > sectorCount || next >= fat.Length) return null;
            ReadSector(content, next, sector, sectorSize);
            for (var at = 0; at < sectorSize; at += 128)
            {
                var nameBytes = Math.Min(64, (int)BinaryPrimitives.ReadUInt16LittleEndian(sector.AsSpan(at + 64)));
                var name = Encoding.Unicode.GetString(sector, at, Math.Max(0, nameBytes - 2));
                entries.Add((name,
                    BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 68)),
                    BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 72)),
                    BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 76))));
            }
            next = fat[next];
        }
        if (entries.Count == 0) return null;

        // The root's children are a tree through left and right siblings, starting at the root's child.
        var names = new List<string>();
        var seen = new HashSet<uint>();
        var pending = new Stack<uint>();
        pending.Push(entries[0].Child);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (id == NoStream) continue;
            if (id >= entries.Count || !seen.Add(id)) return null;
            var entry = entries[(int)id];
            names.Add(entry.Name);
            pending.Push(entry.Left);
            pending.Push(entry.Right);
        }
        return names;
    }

    private static void ReadSector(Stream content, uint index, byte[] buffer, int sectorSize)
    {
        var offset = checked(((long)index + 1) * sectorSize);
        if (offset + sectorSize > content.Length) throw new EndOfStreamException();
        content.Position = offset;
        content.ReadExactly(buffer, 0, sectorSize);
    }
}

/// <summary>The LibreOffice application that reads a legacy or OpenDocument file, and the OOXML format it saves to.</summary>
public enum LegacyApplication
{
    Writer,
    Calc,
    Impress,
}
