using MimeKit;

namespace Kmrl.Connectors.Email.Options;

/// <summary>Sender allow/deny lists: a pattern is a full address, <c>@domain</c> or <c>domain</c> (subdomains included).</summary>
public sealed class SenderFilter(IReadOnlyCollection<string> allowed, IReadOnlyCollection<string> denied)
{
    public static bool IsValidPattern(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Any(char.IsWhiteSpace))
        {
            return false;
        }
        var at = pattern.IndexOf('@');
        return at < 0 || (at == pattern.LastIndexOf('@') && at < pattern.Length - 1);
    }

    /// <summary>True when the message's senders pass: none denied, and (if an allow list exists) one allowed.</summary>
    public bool Accepts(IEnumerable<MailboxAddress> senders)
    {
        var addresses = senders.Select(sender => sender.Address?.Trim().ToLowerInvariant() ?? string.Empty)
            .Where(address => address.Length > 0).ToList();
        if (addresses.Any(address => denied.Any(pattern => Matches(pattern, address))))
        {
            return false;
        }
        return allowed.Count == 0 || addresses.Any(address => allowed.Any(pattern => Matches(pattern, address)));
    }

    private static bool Matches(string pattern, string address)
    {
        pattern = pattern.Trim().ToLowerInvariant();
        if (pattern.StartsWith('@'))
        {
            return address.EndsWith(pattern, StringComparison.Ordinal);
        }
        if (pattern.Contains('@'))
        {
            return address == pattern;
        }
        var domain = address[(address.LastIndexOf('@') + 1)..];
        return domain == pattern || domain.EndsWith("." + pattern, StringComparison.Ordinal);
    }
}
