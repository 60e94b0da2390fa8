global using Kmrl.DocumentApi.Model;
global using Kmrl.Testing.Documents;
global using Kmrl.DocumentApi.Tests.Fakes;
