namespace Kmrl.DocumentApi.Ui;

/// <summary>The staff pages' words: UiText.resx (English) and UiText.ml.resx (Malayalam), read through IStringLocalizer.</summary>
public sealed class UiText;
