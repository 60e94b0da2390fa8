using System.Text.Json;
using Kmrl.ServiceDefaults;

namespace Kmrl.Contracts.Tests;

public sealed class ContractsTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Fact]
    public void The_same_item_and_content_always_give_the_same_idempotency_key()
    {
        Assert.Equal(IdempotencyKey.For("email", "ops/INBOX/7/42/2", Sha), IdempotencyKey.For("email", "ops/INBOX/7/42/2", Sha.ToUpperInvariant()));
    }

    [Fact]
    public void Different_content_from_the_same_item_gives_a_different_key()
    {
        Assert.NotEqual(IdempotencyKey.For("email", "x", Sha), IdempotencyKey.For("email", "x", new string('a', 64)));
    }

    [Fact]
    public void Parts_that_only_differ_in_where_they_split_do_not_collide()
    {
        Assert.NotEqual(IdempotencyKey.For("a:b", "c", Sha), IdempotencyKey.For("a", "b:c", Sha));
    }

    [Fact]
    public void An_idempotency_key_is_usable_as_a_workflow_instance_id()
    {
        var key = IdempotencyKey.For("whatsapp", "wamid.HBgMOTE5ODc2NTQzMjEw", Sha);

        Assert.Equal(64, key.Length);
        Assert.All(key, c => Assert.True(char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)));
    }

    [Fact]
    public void A_discovered_event_round_trips_through_json_with_its_schema_version()
    {
        var discovered = new DocumentDiscovered(
            IdempotencyKey.For("maximo", "WO-1001/doclink/7", Sha), "maximo", "WO-1001/doclink/7", "job-card.pdf",
            "application/pdf", 42, Sha, new BlobReference("blob-1", 42, Sha, 1, 1048576),
            new Dictionary<string, string> { ["wonum"] = "WO-1001" }, DateTimeOffset.Parse("2026-11-26T10:00:00+05:30"));

        var json = JsonSerializer.Serialize(discovered, KmrlJson.Options);
        var back = JsonSerializer.Deserialize<DocumentDiscovered>(json, KmrlJson.Options)!;

        Assert.Contains("\"schemaVersion\":1", json);
        Assert.Equal(discovered.Blob, back.Blob);
        Assert.Equal("WO-1001", back.SourceMetadata["wonum"]);
        Assert.Equal(discovered.DiscoveredAt, back.DiscoveredAt);
    }

    [Fact]
    public void Every_topic_and_component_name_is_unique_and_lowercase()
    {
        var names = DaprNames.Topics.All.Concat(DaprNames.Components.All).Concat(DaprNames.Bindings.All).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, name => Assert.Equal(name.ToLowerInvariant(), name));
        Assert.Equal("documents-for-finance", DaprNames.Topics.ForDepartment("finance"));
    }
}
