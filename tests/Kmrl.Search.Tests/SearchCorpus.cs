namespace Kmrl.Search.Tests;

/// <summary>A small bilingual catalog: each document is there for one behaviour of the contract.</summary>
public static class SearchCorpus
{
    public static readonly DateTimeOffset Day = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public static SearchDocument MalayalamCircular { get; } = Doc("ml-circular", "suraksha-circular.pdf", 0) with
    {
        Text = "സുരക്ഷാ സർക്കുലറിൽ പറയുന്ന നിർദ്ദേശങ്ങൾ എല്ലാ സ്റ്റേഷനുകളിലും പാലിക്കണം.",
        DocumentType = "safety-circular", Departments = ["safety", "operations"], Language = "ml", Sources = ["email"],
        Metadata = ["Safety Cell <safety@kmrl.co.in>", "പുതിയ നിർദ്ദേശം"],
    };

    public static SearchDocument MalayalamCirculars { get; } = Doc("ml-circulars", "puthiya.docx", 1) with
    {
        Text = "പുതിയ സർക്കുലറുകൾ ഓഫീസിൽ ലഭ്യമാണ്.",
        DocumentType = "safety-circular", Departments = ["operations"], Language = "ml", Sources = ["sharepoint"],
        Metadata = ["Shared Documents/Circulars"],
    };

    public static SearchDocument EnglishCirculars { get; } = Doc("en-circulars", "platform-safety.pdf", 2) with
    {
        Text = "Circulars issued to all stations about platform safety during the monsoon.",
        Summary = "Platform safety circulars for the monsoon.",
        DocumentType = "safety-circular", Departments = ["safety"], Language = "en", Sources = ["email"],
    };

    public static SearchDocument JobCard { get; } = Doc("job-card", "JC-2025-0042.pdf", 3) with
    {
        Text = "Scheduled maintenance of the rolling stock was completed at Muttom depot. Brake pads were replaced on train set 7.",
        DocumentType = "job-card", Departments = ["maintenance"], Language = "en", Sources = ["maximo"],
        KeyFields = ["WO-2025-0042"], Deadlines = [new DateOnly(2026, 12, 1)],
    };

    public static SearchDocument OcrInspection { get; } = Doc("ocr-inspection", "scan-0007.tiff", 4) with
    {
        // A scanned page as OCR read it: "inspection" came out with an l for the i.
        Text = "Track inspectlon report for the Kalamassery viaduct, bearings checked.",
        DocumentType = "inspection-report", Departments = ["engineering"], Language = "en", Sources = ["whatsapp"],
        Metadata = ["+91 98470 12345"],
    };

    public static SearchDocument Invoice { get; } = Doc("invoice", "INV-88812.pdf", 5) with
    {
        Text = "Invoice for escalator spare parts. Amount payable within 30 days <script>alert(1)</script>.",
        DocumentType = "invoice", Departments = ["finance", "procurement"], Language = "en", Sources = ["email"],
        Deadlines = [new DateOnly(2026, 12, 5)], Metadata = ["Otis Elevator <billing@otis.example>", "Invoice November"],
    };

    public static SearchDocument HrPolicy { get; } = Doc("hr-policy", "leave-policy.pdf", 6) with
    {
        Text = "Revised leave policy for station staff, effective January.",
        DocumentType = "hr-policy", Departments = ["hr", "operations"], Language = "en", Sources = ["upload"],
    };

    public static SearchDocument Tender { get; } = Doc("tender", "tender-track-circuits.pdf", 7) with
    {
        Text = "Tender notice for the supply of track circuits and signalling cables.",
        DocumentType = "tender", Departments = ["procurement"], Language = "en", Sources = ["sharepoint"],
        Status = "processed",
    };

    public static IReadOnlyList<SearchDocument> All { get; } =
        [MalayalamCircular, MalayalamCirculars, EnglishCirculars, JobCard, OcrInspection, Invoice, HrPolicy, Tender];

    private static SearchDocument Doc(string id, string fileName, int day) => new()
    {
        DocumentId = id,
        FileName = fileName,
        CreatedAt = Day.AddDays(day),
        UpdatedAt = Day.AddDays(day),
        Status = "processed",
    };
}
