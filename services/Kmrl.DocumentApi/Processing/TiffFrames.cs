using System.Buffers.Binary;

namespace Kmrl.DocumentApi.Processing;

/// <summary>
/// How many pages (image file directories) a TIFF holds: a fax or a scanner's multi-page file is one TIFF. The IFD
/// chain is walked without decoding anything; a loop or an offset past the end stops the count.
/// </summary>
public static class TiffFrames
{
    public const int MaxFrames = 10_000;

    public static int Count(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[8];
        if (file.Read(header) < 8) return 1;
        var little = header[0] == 'I';
        if (!little && header[0] != 'M') return 1;
        uint Read32(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        ushort Read16(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

        var seen = new HashSet<uint>();
        var offset = Read32(header[4..]);
        var frames = 0;
        Span<byte> buffer = stackalloc byte[4];
        while (offset != 0 && offset + 2 <= file.Length && seen.Add(offset) && frames < MaxFrames)
        {
            file.Position = offset;
            if (file.Read(buffer[..2]) < 2) break;
            var entries = Read16(buffer);
            frames++;
            var next = offset + 2L + entries * 12L;
            if (next + 4 > file.Length) break;
            file.Position = next;
            if (file.Read(buffer) < 4) break;
            offset = Read32(buffer);
        }
        return Math.Max(frames, 1);
    }
}
