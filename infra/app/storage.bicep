// Storage: the durable task hub (queues, tables, and blobs the Durable Task provider creates itself), artefacts, and the container the
// deployment package is read from. Shared-key access is off: every caller authenticates with Entra ID.
param name string
param location string
param tags object
param identityPrincipalId string
param developerPrincipalId string
param developerPrincipalType string

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var roles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
  }

  resource blobs 'blobServices' = {
    name: 'default'

    resource artifacts 'containers' = {
      name: 'artifacts'
    }

    resource deployments 'containers' = {
      name: 'deployments'
    }
  }

  resource queues 'queueServices' = {
    name: 'default'
  }
}

resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {
  name: guid(account.id, identityPrincipalId, role)
  scope: account
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource developerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: if (!empty(developerPrincipalId)) {
  name: guid(account.id, developerPrincipalId, role)
  scope: account
  properties: {
    principalId: developerPrincipalId
    principalType: developerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

output name string = account.name
output blobServiceUri string = account.properties.primaryEndpoints.blob
output queueServiceUri string = account.properties.primaryEndpoints.queue
output deploymentContainerUri string = '${account.properties.primaryEndpoints.blob}deployments'
