namespace Kmrl.Connectors.Email.Imap;

/// <summary>
/// Where a folder was read up to: the UIDs only mean something together with the folder's UIDVALIDITY. Stored and
/// read with <see cref="Checkpoints"/>.
/// </summary>
public sealed record ImapCheckpoint(uint UidValidity, uint LastUid);
