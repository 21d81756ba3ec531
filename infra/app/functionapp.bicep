// The Function App: Linux Elastic Premium running src/EcosystemFlows.Functions, a .NET 10 isolated worker with the
// Durable extension (task hub in the app's storage account, reached through AzureWebJobsStorage with the managed
// identity). Every dependency is reached with the user-assigned managed identity; settings are named as the app's
// options bind them.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param applicationInsightsConnectionString string
param storageBlobServiceUri string
param storageQueueServiceUri string
param cosmosAccountEndpoint string
param cosmosDatabaseName string
param serviceBusFullyQualifiedNamespace string
param authAuthority string
param authAudience string
@description('The web app\'s Entra ID sign-in (MSAL): client id, authority, API scope; all empty: the web app offers no sign-in.')
param webAppClientId string
param webAppAuthority string
param webApiScope string

@description('Elastic Premium size: Service Bus commands are consumed by the hosted ServiceBusProcessor of the app (no trigger extension), so an instance must always be running.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param sku string = 'EP1'

@description('Always-ready instances: at least one, so the hosted Service Bus processor runs while no HTTP request or orchestration wakes the app (the scale controller does not see the queue).')
@minValue(1)
param alwaysReadyInstances int = 1

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: sku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: 20
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'functions'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      minimumElasticInstanceCount: alwaysReadyInstances
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'dotnet-isolated'
        }
        // The host's storage and the Durable extension's task hub (host.json: storageProvider.connectionName), identity-based.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID'
          value: identityId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        // The app's own clients: artefacts, readiness probes, and the task-hub client of the hosted Service Bus
        // processor, on the same account (so the same hub) as AzureWebJobsStorage.
        {
          name: 'Storage__BlobServiceUri'
          value: storageBlobServiceUri
        }
        {
          name: 'Storage__QueueServiceUri'
          value: storageQueueServiceUri
        }
        {
          name: 'Cosmos__AccountEndpoint'
          value: cosmosAccountEndpoint
        }
        {
          name: 'Cosmos__DatabaseName'
          value: cosmosDatabaseName
        }
        {
          name: 'ServiceBus__FullyQualifiedNamespace'
          value: serviceBusFullyQualifiedNamespace
        }
        {
          name: 'Auth__Authority'
          value: authAuthority
        }
        {
          name: 'Auth__Audience'
          value: authAudience
        }
        // The web app is served by this Function App under /app (same origin as the API: no CORS, one deployment).
        {
          name: 'WebApp__ClientId'
          value: webAppClientId
        }
        {
          name: 'WebApp__Authority'
          value: webAppAuthority
        }
        {
          name: 'WebApp__ApiScope'
          value: webApiScope
        }
      ]
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
