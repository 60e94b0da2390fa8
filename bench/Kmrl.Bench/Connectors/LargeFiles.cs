using System.Security.Cryptography;
using MimeKit;

namespace Kmrl.Bench.Connectors;

/// <summary>Big inputs written to disk a chunk at a time, so generating them does not itself need the memory measured.</summary>
public static class LargeFiles
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>Random bytes (incompressible, like a scanned PDF) of exactly <paramref name="size"/> bytes.</summary>
    public static async Task WriteRandomAsync(string path, long size, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, ChunkBytes, FileOptions.Asynchronous);
        for (long written = 0; written < size;)
        {
            var chunk = (int)Math.Min(buffer.Length, size - written);
            RandomNumberGenerator.Fill(buffer.AsSpan(0, chunk));
            await file.WriteAsync(buffer.AsMemory(0, chunk), cancellationToken);
            written += chunk;
        }
    }

    /// <summary>An e-mail with <paramref name="attachmentPath"/> as a base64 attachment; MimeKit encodes it while writing.</summary>
    public static async Task WriteMessageAsync(string path, string attachmentPath, string fileName, CancellationToken cancellationToken)
    {
        await using var attachment = File.OpenRead(attachmentPath);
        var part = new MimePart("application", "pdf")
        {
            Content = new MimeContent(attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            FileName = fileName,
        };
        var message = new MimeMessage
        {
            Subject = "Scanned maintenance manual " + fileName,
            MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("kmrl.example"),
            Body = new Multipart("mixed") { new TextPart("plain") { Text = "The scanned manual is attached." }, part },
        };
        message.From.Add(new MailboxAddress("Rolling stock", "rollingstock@kmrl.example"));
        message.To.Add(new MailboxAddress("Bob", "bob@kmrl.example"));
        await using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, ChunkBytes, FileOptions.Asynchronous);
        await message.WriteToAsync(output, cancellationToken);
    }
}
