// EcosystemFlows on Azure: one resource group holding Storage (task-hub queues, blobs), Cosmos DB,
// Service Bus, the Function App running the .NET isolated worker with the Durable extension, monitoring, and the managed
// identity the app uses for every data-plane call (no keys: local auth is disabled where allowed).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used in resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Primary location for all resources.')
param location string

@description('Object id of a user or group to grant data-plane access for local debugging against Azure (optional).')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Audience (application ID URI) of the Entra ID app registration that issues the API\'s tokens.')
param apiAudience string = 'api://ecosystemflows'

@description('Application (client) id of the web app\'s Entra ID registration: a single-page application whose redirect URI is the Function App\'s /app/redirect.html (FUNCTION_APP_URI). Empty: the deployed web app offers no sign-in.')
param webAppClientId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var authAuthority = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
// The web app signs in with MSAL (authorization code + PKCE) at the tenant and asks for the API's delegated scope.
var webAppAuthority = '${environment().authentication.loginEndpoint}${tenant().tenantId}'
var webApiScope = '${apiAudience}/access_as_user'
var tags = {
  'azd-env-name': environmentName
  application: 'ecosystemflows'
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: resourceGroup
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: resourceGroup
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
  }
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  scope: resourceGroup
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    storageBlobServiceUri: storage.outputs.blobServiceUri
    storageQueueServiceUri: storage.outputs.queueServiceUri
    cosmosAccountEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    authAuthority: authAuthority
    authAudience: apiAudience
    webAppClientId: webAppClientId
    webAppAuthority: empty(webAppClientId) ? '' : webAppAuthority
    webApiScope: empty(webAppClientId) ? '' : webApiScope
  }
}

// Outputs are named exactly as the app settings (and azd environment values) they feed.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
output Storage__BlobServiceUri string = storage.outputs.blobServiceUri
output Storage__QueueServiceUri string = storage.outputs.queueServiceUri
output Cosmos__AccountEndpoint string = cosmos.outputs.endpoint
output Cosmos__DatabaseName string = cosmos.outputs.databaseName
output ServiceBus__FullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output Auth__Authority string = authAuthority
output Auth__Audience string = apiAudience
output WebApp__ClientId string = webAppClientId
output WebApp__Authority string = empty(webAppClientId) ? '' : webAppAuthority
output WebApp__ApiScope string = empty(webAppClientId) ? '' : webApiScope
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URI string = functionApp.outputs.uri
