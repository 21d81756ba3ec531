// The Function App: Linux Elastic Premium running the app as an Azure Functions custom handler
// (host.json customHandler section; FUNCTIONS_WORKER_RUNTIME=custom). Every dependency is reached with
// the user-assigned managed identity; settings are named as the app's options bind them.
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
      // Empty stack: the custom handler is a self-contained linux-x64 publish of the app.
      linuxFxVersion: ''
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
          value: 'custom'
        }
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
