using System.Text;
using Kmrl.Connectors.WhatsApp.Webhooks;

namespace Kmrl.Connectors.WhatsApp.Tests;

public sealed class WebhookSignatureTests
{
    private const string VectorSignature = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914";

    [Fact]
    public void The_published_test_vector_is_computed_and_accepted()
    {
        Assert.Equal(VectorSignature, WebhookSignature.Compute("test"u8, "secret"u8));
        Assert.True(WebhookSignature.IsValid("test"u8, VectorSignature, "secret"u8));
    }

    [Fact]
    public void Uppercase_hex_digits_are_accepted()
    {
        Assert.True(WebhookSignature.IsValid("test"u8, "sha256=" + VectorSignature["sha256=".Length..].ToUpperInvariant(), "secret"u8));
    }

    [Theory]
    [InlineData("test", "secret", null)]
    [InlineData("test", "secret", "")]
    [InlineData("test", "wrong", VectorSignature)]
    [InlineData("tesT", "secret", VectorSignature)]
    [InlineData("test", "secret", "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")]
    [InlineData("test", "secret", "sha1=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")]
    [InlineData("test", "secret", "sha256=0329a06b")]
    [InlineData("test", "secret", "sha256=zz29a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")]
    public void Anything_but_a_matching_signature_is_refused(string body, string secret, string? header)
    {
        Assert.False(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(body), header, Encoding.UTF8.GetBytes(secret)));
    }
}
