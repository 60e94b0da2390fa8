namespace Kmrl.Reliability.Tests.BadInput;

/// <summary>
/// One bad-input case against email-connector: a raw RFC 5322 message (bytes as a mail server stores them, so it
/// can be malformed), found again by its Message-ID <c>&lt;Name@r3.kmrl&gt;</c>, and the outcome it is designed to get.
/// </summary>
public sealed record MailCase(string Name, string Expected, byte[] Message, bool ReportName = false);
