// Service Bus: commands in (queue offering-commands), workflow events out (topic offering-events with
// subscriptions). Standard tier for topics; SAS (local) auth disabled: the app uses its managed identity.
param name string
param location string
param tags object
param identityPrincipalId string
param developerPrincipalId string
param developerPrincipalType string

@description('Subscriptions on offering-events; each gets its own dead-letter sub-queue.')
param eventSubscriptions array = [
  'audit'
]

var serviceBusDataOwner = '090c5cfd-751d-490a-894a-3ce6f1109419'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }

  resource commands 'queues' = {
    name: 'offering-commands'
    properties: {
      maxDeliveryCount: 5
      lockDuration: 'PT1M'
      deadLetteringOnMessageExpiration: true
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      maxSizeInMegabytes: 1024
    }
  }

  resource events 'topics' = {
    name: 'offering-events'
    properties: {
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      maxSizeInMegabytes: 1024
    }

    resource subscription 'subscriptions' = [for subscription in eventSubscriptions: {
      name: subscription
      properties: {
        maxDeliveryCount: 5
        lockDuration: 'PT1M'
        deadLetteringOnMessageExpiration: true
        deadLetteringOnFilterEvaluationExceptions: true
      }
    }]
  }
}

resource appDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace.id, identityPrincipalId, serviceBusDataOwner)
  scope: namespace
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataOwner)
  }
}

resource developerDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(developerPrincipalId)) {
  name: guid(namespace.id, developerPrincipalId, serviceBusDataOwner)
  scope: namespace
  properties: {
    principalId: developerPrincipalId
    principalType: developerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataOwner)
  }
}

output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
