namespace Kmrl.Connectors.Email.Imap;

/// <summary>Metadata keys on every e-mail <see cref="SourceDocument"/>.</summary>
public static class EmailMetadataKeys
{
    public const string Mailbox = "mailbox";
    public const string Folder = "folder";
    public const string UidValidity = "uidValidity";
    public const string Uid = "uid";
    public const string Part = "part";
    public const string From = "from";
    public const string To = "to";
    public const string Cc = "cc";
    public const string Subject = "subject";
    public const string Date = "date";
    public const string InternalDate = "internalDate";
    public const string MessageId = "messageId";
    public const string InReplyTo = "inReplyTo";
    public const string ContentTransferEncoding = "contentTransferEncoding";
    public const string EncodedSize = "encodedSize";
    public const string ForwardedFrom = "forwardedFrom";
    public const string ForwardedSubject = "forwardedSubject";
    public const string ForwardedMessageId = "forwardedMessageId";
    /// <summary>Set on a document unwrapped from a container part: "tnef" (winmail.dat) or "smime" (opaque-signed .p7m).</summary>
    public const string Container = "container";
}
