using Kmrl.DocumentApi.Activities;
using Kmrl.DocumentApi.Extensions;
using Kmrl.DocumentApi.Processing;

namespace Kmrl.DocumentApi.Tests.Activities;

public sealed class ValidateDocumentActivityTests
{
    private readonly (Kmrl.ClaimCheck.IDocumentContentStore Store, InMemoryBlobStorage Storage) _blobs = InMemoryBlobStorage.NewStore();

    private async Task<ValidationResult> ValidateAsync(byte[] bytes, string fileName, string contentType, DocumentProcessingOptions? options = null)
    {
        var intake = await Intakes.StoreAsync(_blobs.Store, bytes, fileName, contentType);
        var processing = options ?? new DocumentProcessingOptions();
        var activity = new ValidateDocumentActivity(_blobs.Store, new ContentSniffer(processing),
            new PdfTextReader(new ScriptedOcrEngine(""), ExtractTextActivityTests.RealPdfTools(), processing));
        return await activity.RunAsync(new TestActivityContext(), intake);
    }

    public static TheoryData<string, string, string, DocumentKind> GoodFiles() => new()
    {
        { "pdf", "report.pdf", TestCorpus.Pdf, DocumentKind.Pdf },
        { "docx", "note.docx", TestCorpus.DocxType, DocumentKind.Docx },
        { "xlsx", "stock.xlsx", TestCorpus.XlsxType, DocumentKind.Xlsx },
        { "pptx", "board.pptx", TestCorpus.PptxType, DocumentKind.Pptx },
        { "eml", "mail.eml", "message/rfc822", DocumentKind.Email },
        { "txt", "notes.txt", "text/plain", DocumentKind.Text },
        { "csv", "fares.csv", "text/csv", DocumentKind.Text },
        { "doc", "old.doc", "application/msword", DocumentKind.LegacyOffice },
        { "png", "scan.png", "image/png", DocumentKind.Png },
        { "jpeg", "photo.jpg", "image/jpeg", DocumentKind.Jpeg },
        { "tiff", "fax.tif", "image/tiff", DocumentKind.Tiff },
        { "docx", "note.docx", "application/octet-stream", DocumentKind.Docx },
    };

    [Theory]
    [MemberData(nameof(GoodFiles))]
    public async Task A_supported_file_is_accepted_with_the_kind_its_bytes_show(string corpus, string fileName, string contentType, DocumentKind expected)
    {
        var result = await ValidateAsync(Make(corpus), fileName, contentType);

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(expected, result.Kind);
    }

    [Fact]
    public async Task An_empty_file_is_rejected_as_empty()
    {
        var result = await ValidateAsync([], "blank.pdf", TestCorpus.Pdf);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.EmptyFile, result.Reason);
    }

    [Fact]
    public async Task A_pdf_that_needs_a_user_password_is_rejected_as_encrypted()
    {
        var result = await ValidateAsync(TestCorpus.EncryptedPdf(), "tender.pdf", TestCorpus.Pdf);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.EncryptedPdf, result.Reason);
        Assert.Equal("The PDF needs a user password to open.", result.Detail);
        Assert.Equal(DocumentKind.Pdf, result.Kind);
    }

    [Fact]
    public async Task A_pdf_encrypted_with_permissions_only_is_accepted_because_anyone_can_open_it()
    {
        var pdf = PdfCases.PermissionOnlyEncrypted("Circular: permissions only");
        Assert.Contains("/Encrypt", System.Text.Encoding.Latin1.GetString(pdf), StringComparison.Ordinal);

        var result = await ValidateAsync(pdf, "circular.pdf", TestCorpus.Pdf);

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(DocumentKind.Pdf, result.Kind);
    }

    [Fact]
    public async Task A_password_protected_office_file_is_rejected_as_password_protected()
    {
        var result = await ValidateAsync(TestCorpus.PasswordProtectedOffice(), "salaries.xlsx", TestCorpus.XlsxType);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.PasswordProtectedOffice, result.Reason);
    }

    [Fact]
    public async Task Password_protected_word_excel_and_powerpoint_97_files_are_rejected_as_password_protected_not_as_corrupt()
    {
        // RC4 CryptoAPI, as LibreOffice writes a .doc/.xls saved with a password; before, they passed validation and
        // LibreOffice's failed conversion ended them as corrupt-office.
        var doc = await ProtectedOfficeCases.DocAsync("secret", "Salary statement for March");
        var xls = await ProtectedOfficeCases.XlsAsync("secret", ["Name", "Salary"], ["Anil", "52000"]);

        var word = await ValidateAsync(doc, "salary.doc", "application/msword");
        var excel = await ValidateAsync(xls, "salary.xls", "application/vnd.ms-excel");
        var powerPoint = await ValidateAsync(TestCorpus.ProtectedPowerPoint(), "board.ppt", "application/vnd.ms-powerpoint");

        foreach (var result in (ValidationResult[])[word, excel, powerPoint])
        {
            Assert.False(result.Accepted);
            Assert.Equal(RejectionReasons.PasswordProtectedOffice, result.Reason);
        }
        Assert.Contains("97 file is password protected", word.Detail);
    }

    [Fact]
    public async Task A_docx_that_inflates_far_beyond_its_size_is_rejected_as_a_zip_bomb()
    {
        var bomb = TestCorpus.ZipBombDocx(48L * 1024 * 1024);

        var result = await ValidateAsync(bomb, "innocent.docx", TestCorpus.DocxType);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.ZipBomb, result.Reason);
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes on the wire");
    }

    [Fact]
    public async Task The_expanded_size_cap_applies_even_when_the_ratio_is_modest()
    {
        var options = new DocumentProcessingOptions { MaxExpandedBytes = 64 * 1024, MaxCompressionRatio = 10_000 };

        var result = await ValidateAsync(TestCorpus.ZipBombDocx(1024 * 1024), "big.docx", TestCorpus.DocxType, options);

        Assert.Equal(RejectionReasons.ZipBomb, result.Reason);
    }

    [Fact]
    public async Task A_docx_declared_as_pdf_is_rejected_as_a_type_mismatch()
    {
        var result = await ValidateAsync(TestCorpus.Docx("Hello"), "invoice.pdf", TestCorpus.Pdf);

        Assert.False(result.Accepted);
        Assert.Equal(RejectionReasons.TypeMismatch, result.Reason);
        Assert.Equal(DocumentKind.Docx, result.Kind);
    }

    [Fact]
    public async Task A_plain_zip_is_rejected_as_unsupported()
    {
        var result = await ValidateAsync(TestCorpus.PlainZip(), "bundle.zip", "application/zip");

        Assert.Equal(RejectionReasons.UnsupportedType, result.Reason);
    }

    [Fact]
    public async Task Binary_noise_is_rejected_as_unsupported()
    {
        var noise = new byte[4096];
        new Random(7).NextBytes(noise);
        noise[0] = 0x00;

        var result = await ValidateAsync(noise, "mystery.bin", "application/octet-stream");

        Assert.Equal(RejectionReasons.UnsupportedType, result.Reason);
    }

    internal static byte[] Make(string corpus) => corpus switch
    {
        "pdf" => TestCorpus.TextPdf("Kochi Metro Rail Limited", "Page two"),
        "docx" => TestCorpus.Docx("Office note", "Second paragraph"),
        "xlsx" => TestCorpus.Xlsx("Stock", ["Item", "Qty"], ["Brake pad", "40"]),
        "pptx" => TestCorpus.Pptx("Board review", "Ridership"),
        "eml" => TestCorpus.Eml("ops@kochimetro.org", "Shift roster", "Please find the roster."),
        "txt" => "Plain notes about the Aluva depot.\n"u8.ToArray(),
        "csv" => "station,footfall\nAluva,12000\nVyttila,15000\n"u8.ToArray(),
        "doc" => TestCorpus.LegacyWord(),
        "png" => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
        "jpeg" => [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0],
        "tiff" => [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 0, 0],
        _ => throw new ArgumentOutOfRangeException(nameof(corpus)),
    };
}
