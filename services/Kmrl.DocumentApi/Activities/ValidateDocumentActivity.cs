using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Activities;

/// <summary>Sniffs the real type and refuses empty, encrypted, password-protected, bomb or mislabelled files.</summary>
public sealed class ValidateDocumentActivity(IDocumentContentStore store, ContentSniffer sniffer) : WorkflowActivity<DocumentIntake, ValidationResult>
{
    public override async Task<ValidationResult> RunAsync(WorkflowActivityContext context, DocumentIntake input)
    {
        await using var copy = await TempContent.CopyAsync(store, input.Blob, string.Empty, CancellationToken.None);
        await using var content = copy.OpenRead();
        return sniffer.Validate(content, input.DeclaredContentType, input.FileName);
    }
}
