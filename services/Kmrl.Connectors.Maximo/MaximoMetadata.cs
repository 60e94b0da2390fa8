namespace Kmrl.Connectors.Maximo;

/// <summary>Metadata keys this connector puts on documents (one place, so consumers and tests agree).</summary>
public static class MaximoMetadata
{
    public const string ObjectStructure = "maximo.objectStructure";
    public const string WorkOrder = "maximo.wonum";
    public const string Asset = "maximo.assetnum";
    public const string Site = "maximo.siteid";
    public const string Description = "maximo.description";
    public const string Status = "maximo.status";
    public const string ChangeDate = "maximo.changedate";
    public const string DocLinkId = "maximo.doclink.id";
    public const string DocType = "maximo.doclink.doctype";
    public const string AttachmentDescription = "maximo.doclink.description";
    public const string AttachmentTitle = "maximo.doclink.title";
    public const string CreatedBy = "maximo.doclink.createby";
    public const string Created = "maximo.doclink.created";

    public const string ExportServer = "maximo.export.server";
    public const string ExportPath = "maximo.export.path";
    public const string ExportModified = "maximo.export.modified";
    public const string MifExternalSystem = "maximo.mif.externalSystem";
    public const string MifInterface = "maximo.mif.interface";
    public const string MifAction = "maximo.mif.action";
    public const string MifLanguage = "maximo.mif.language";
    public const string MifMessageId = "maximo.mif.messageId";
}
