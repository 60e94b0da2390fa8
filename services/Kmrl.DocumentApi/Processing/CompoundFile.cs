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

    private static List<string>? ReadRootNames(Stream content) => ReadRoot(content)?.Entries.Select(e => e.Name).ToList();

    /// <summary>A root stream: its name, first sector and length (from its directory entry).</summary>
    private sealed record RootEntry(string Name, uint Start, long Size);

    /// <param name="MiniStreamStart">First sector of the root entry's stream, which holds the mini stream's 64-byte sectors.</param>
    private sealed record Root(List<RootEntry> Entries, int SectorSize, uint[] Fat, uint MiniStreamStart);

    private const int MiniSectorSize = 64;

    /// <summary>Stream entries smaller than this live in the mini stream, not in sectors of their own (MS-CFB 2.2).</summary>
    private const long MiniStreamCutoff = 4096;

    /// <summary>
    /// The first <paramref name="count"/> bytes of the root stream <paramref name="name"/>, read from its first sector
    /// (at most one sector, or one 64-byte mini sector for a small stream: LibreOffice writes a short document's
    /// WordDocument stream into the mini stream); null when there is no such stream or the file is unreadable.
    /// </summary>
    public static byte[]? RootStreamStart(Stream content, string name, int count)
    {
        try
        {
            if (ReadRoot(content) is not { } root || root.Entries.FirstOrDefault(e => e.Name == name) is not { } entry) return null;
            if (entry.Start >= EndOfChain || entry.Size == 0) return null;
            var sector = new byte[root.SectorSize];
            if (entry.Size >= MiniStreamCutoff)
            {
                ReadSector(content, entry.Start, sector, root.SectorSize);
                return sector[..(int)Math.Min(Math.Min(count, root.SectorSize), entry.Size)];
            }
            // Mini sector n is at n * 64 in the mini stream, whose sectors chain through the FAT from the root entry.
            var offset = (long)entry.Start * MiniSectorSize;
            var hops = offset / root.SectorSize;
            var at = root.MiniStreamStart;
            if (hops > root.Fat.Length) return null; // a chain longer than the FAT loops
            for (var hop = 0L; hop < hops; hop++)
            {
                if (at >= root.Fat.Length) return null;
                at = root.Fat[at];
            }
            if (at >= EndOfChain) return null;
            ReadSector(content, at, sector, root.SectorSize);
            var within = (int)(offset % root.SectorSize);
            return sector[within..(within + (int)Math.Min(Math.Min(count, MiniSectorSize), entry.Size))];
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentOutOfRangeException or IOException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a Word, Excel or PowerPoint 97 file is password protected (RC4, RC4 CryptoAPI or XOR obfuscation), as
    /// each format marks it: Word in its FIB (fEncrypted, MS-DOC 2.5.2), Excel by a FilePass record among the first
    /// records of its workbook globals (MS-XLS 2.4.117), PowerPoint by its EncryptedSummary stream (MS-PPT 2.1.6).
    /// </summary>
    public static bool IsPasswordProtected(Stream content, IReadOnlyList<string> rootNames)
    {
        if (rootNames.Contains("EncryptedSummary")) return true;
        if (rootNames.Contains("WordDocument") && RootStreamStart(content, "WordDocument", 12) is { Length: 12 } fib)
        {
            // wIdent 0xA5EC, then at offset 10 the flags word whose bit 8 is fEncrypted.
            return BinaryPrimitives.ReadUInt16LittleEndian(fib) == 0xA5EC && (BinaryPrimitives.ReadUInt16LittleEndian(fib.AsSpan(10)) & 0x0100) != 0;
        }
        var book = rootNames.Contains("Workbook") ? "Workbook" : rootNames.Contains("Book") ? "Book" : null;
        if (book is not null && RootStreamStart(content, book, 512) is { } records)
        {
            // Records are type (2 bytes), length (2 bytes), data; FilePass comes right after BOF and the optional
            // WriteProtect, before anything else of the globals is readable.
            var at = 0;
            for (var record = 0; record < 8 && at + 4 <= records.Length; record++)
            {
                var type = BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at));
                if (type == 0x002F) return true;
                at += 4 + BinaryPrimitives.ReadUInt16LittleEndian(records.AsSpan(at + 2));
            }
        }
        return false;
    }

    private static Root? ReadRoot(Stream content)
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
        var entries = new List<(string Name, uint Left, uint Right, uint Child, uint Start, long Size)>();
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
                    BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 76)),
                    BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 116)),
                    // A version 3 file (512-byte sectors) may leave garbage in the size's high half (MS-CFB 2.6.3).
                    shift == 9 ? BinaryPrimitives.ReadUInt32LittleEndian(sector.AsSpan(at + 120)) : (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(sector.AsSpan(at + 120)), long.MaxValue)));
            }
            next = fat[next];
        }
        if (entries.Count == 0) return null;

        // The root's children are a tree through left and right siblings, starting at the root's child.
        var names = new List<RootEntry>();
        var seen = new HashSet<uint>();
        var pending = new Stack<uint>();
        pending.Push(entries[0].Child);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (id == NoStream) continue;
            if (id >= entries.Count || !seen.Add(id)) return null;
            var entry = entries[(int)id];
            names.Add(new RootEntry(entry.Name, entry.Start, entry.Size));
            pending.Push(entry.Left);
            pending.Push(entry.Right);
        }
        return new Root(names, sectorSize, fat, entries[0].Start);
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
