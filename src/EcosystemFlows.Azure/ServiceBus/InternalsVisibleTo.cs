using System.Runtime.CompilerServices;

// Contract tests of the Service Bus adapter check the wire shapes its internal mappers produce.
[assembly: InternalsVisibleTo("EcosystemFlows.Azure.Tests")]
