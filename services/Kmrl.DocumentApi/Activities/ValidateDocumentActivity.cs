using Dapr.Workflow;
using Kmrl.ClaimCheck;
using Kmrl.DocumentApi.Model;
using Kmrl.DocumentApi.Processing;
using Kmrl.DocumentApi.Pipeline;

namespace Kmrl.DocumentApi.Activities;

/// <summary>Sniffs the real type and refuses empty, password-encrypted, password-protected, bomb or mislabelled files.</summary>
public sealed class ValidateDocumentActivity(IDocumentContentStore store, ContentSniffer sniffer, PdfTextReader pdf) : WorkflowActivity<DocumentIntake, ValidationResult>
{
    public override async Task<ValidationResult> RunAsync(WorkflowActivityContext context, DocumentIntake input)
    {
        using var stage = PipelineMetrics.Time(nameof(ValidateDocumentActivity));
        await using var copy = await TempContent.CopyAsync(store, input.Blob, string.Empty, CancellationToken.None);
        ValidationResult result;
        await using (var content = copy.OpenRead())
        {
            result = sniffer.Validate(content, input.DeclaredContentType, input.FileName);
        }
        // /Encrypt alone does not say a password is needed: permission-only encryption (an empty user password, as on
        // many government circulars) opens for anyone, so only a real user password is refused.
        if (result is { Accepted: false, Reason: RejectionReasons.EncryptedPdf })
        {
            return await pdf.NeedsPasswordAsync(copy.FilePath, CancellationToken.None)
                ? ValidationResult.Reject(DocumentKind.Pdf, RejectionReasons.EncryptedPdf, "The PDF needs a user password to open.")
                : ValidationResult.Accept(DocumentKind.Pdf);
        }
        return result;
    }
}
