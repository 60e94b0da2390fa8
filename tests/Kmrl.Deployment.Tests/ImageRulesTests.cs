using Kmrl.Contracts;

namespace Kmrl.Deployment.Tests;

public sealed class ImageRulesTests
{
    [Fact]
    public void Every_app_has_an_image_definition_an_image_map_entry_and_a_pinned_image()
    {
        Assert.Empty(ImageRules.Check(RepositoryRoot.Find()));
        Assert.Equal(DaprNames.AppIds.All.Order(), ImageRules.ImageMap(RepositoryRoot.Find()).Keys.Order());
    }

    [Fact]
    public void Only_an_app_that_needs_more_than_the_runtime_has_a_dockerfile_of_its_own()
    {
        var root = RepositoryRoot.Find();

        var own = ImageRules.ImageMap(root).Values.Where(project => File.Exists(Path.Combine(root, "services", project, "Dockerfile")));

        // document-api installs the OCR and office tools; every other app is the shared services/Dockerfile.
        Assert.Equal(["Kmrl.DocumentApi"], own);
    }

    [Fact]
    public void An_app_missing_from_the_image_map_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("build-images.sh", "  [local-folder-connector]=Kmrl.Connectors.LocalFolder\n", "");

        Assert.Contains("app 'local-folder-connector' has no entry in build-images.sh's image map", ImageRules.Check(copy.Root));
    }

    [Fact]
    public void An_image_map_entry_for_a_project_that_does_not_exist_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("build-images.sh", "=Kmrl.Connectors.Maximo\n", "=Kmrl.Connectors.Maximo2\n");

        Assert.Contains(ImageRules.Check(copy.Root), v => v.Contains("names project 'Kmrl.Connectors.Maximo2'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_shared_dockerfile_that_does_not_take_the_project_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace(ImageRules.SharedDockerfile, "$PROJECT.csproj", "Kmrl.Connectors.Email.csproj");

        Assert.Contains(ImageRules.Check(copy.Root), v => v.StartsWith("app 'email-connector' has neither", StringComparison.Ordinal));
    }

    [Fact]
    public void An_app_without_a_pinned_image_is_caught()
    {
        using var copy = new RepositoryCopy();
        copy.Replace("k8s/base/kustomization.yaml", "  - name: kmrl/notifications\n    newTag: \"0.1.0\"\n", "");

        Assert.Contains("app 'notifications' has no image kmrl/notifications in k8s/base/kustomization.yaml", ImageRules.Check(copy.Root));
    }
}
