global using Kmrl.DocumentApi.Model;
global using Kmrl.DocumentApi.Tests.Corpus;
global using Kmrl.DocumentApi.Tests.Fakes;
