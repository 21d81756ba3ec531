using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class SmokeTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task SendAndReceive_OneMessage_ArrivesWithBodyAndIds()
    {
        await using var sender = fixture.Client.CreateSender("send-receive");
        await sender.SendMessageAsync(new ServiceBusMessage("hello") { MessageId = "m1", Subject = "greeting" });
        await using var receiver = fixture.Client.CreateReceiver("send-receive");
        var received = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(received);
        Assert.Equal("hello", received.Body.ToString());
        await receiver.CompleteMessageAsync(received);
    }
}
