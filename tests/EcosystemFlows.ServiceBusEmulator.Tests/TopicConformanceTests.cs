using Azure.Messaging.ServiceBus;

namespace EcosystemFlows.ServiceBusEmulator.Tests;

/// <summary>Topics: each subscription gets a copy of what its rules match (rules from the config file).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class TopicConformanceTests(EmulatorFixture fixture)
{
    [Fact]
    public async Task SendToTopic_Rules_EachSubscriptionGetsWhatItsFilterMatches()
    {
        await using var sender = fixture.Client.CreateSender("fanout");
        var redOrder = new ServiceBusMessage("red-order") { Subject = "order" };
        redOrder.ApplicationProperties["color"] = "red";
        redOrder.ApplicationProperties["priority"] = 7;
        redOrder.ApplicationProperties["region"] = "eu";
        var blueOrder = new ServiceBusMessage("blue-order") { Subject = "order" };
        blueOrder.ApplicationProperties["color"] = "blue";
        blueOrder.ApplicationProperties["priority"] = 3;
        blueOrder.ApplicationProperties["region"] = "us";
        var plain = new ServiceBusMessage("plain");
        await sender.SendMessagesAsync([redOrder, blueOrder, plain]);

        Assert.Equal(["red-order", "blue-order", "plain"], await DrainAsync("all"));
        Assert.Equal(["red-order"], await DrainAsync("correlation"));
        Assert.Equal(["red-order"], await DrainAsync("sql"));
        Assert.Equal(["blue-order", "plain"], await DrainAsync("sql-in"));
    }

    [Fact]
    public async Task SubscriptionDeadLetter_Reason_IsReadFromSubscriptionDeadLetterQueue()
    {
        await using var sender = fixture.Client.CreateSender("fanout");
        var message = new ServiceBusMessage("to-dead-letter") { Subject = "order" };
        message.ApplicationProperties["color"] = "red";
        message.ApplicationProperties["region"] = "eu";
        message.ApplicationProperties["priority"] = 1;
        await sender.SendMessageAsync(message);
        await using var receiver = fixture.Client.CreateReceiver("fanout", "correlation");
        var received = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10));

        await receiver.DeadLetterMessageAsync(received, "Unprocessable", "demo");
        await using var dlq = fixture.Client.CreateReceiver("fanout", "correlation", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await dlq.ReceiveMessageAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(("to-dead-letter", "Unprocessable"), (dead.Body.ToString(), dead.DeadLetterReason));
        Assert.Equal("fanout/subscriptions/correlation", dead.DeadLetterSource, ignoreCase: true);
        await dlq.CompleteMessageAsync(dead);
        await DrainAsync("all");
    }

    [Fact]
    public async Task ReceiveFromTopicItself_IsRefused()
    {
        await using var sender = fixture.Client.CreateSender("fanout/subscriptions/all");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => sender.SendMessageAsync(new ServiceBusMessage("x")));
        Assert.IsNotType<TimeoutException>(error);
    }

    private async Task<List<string>> DrainAsync(string subscription)
    {
        await using var receiver = fixture.Client.CreateReceiver("fanout", subscription);
        var bodies = new List<string>();
        while (await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(700)) is { } m)
        {
            bodies.Add(m.Body.ToString());
            await receiver.CompleteMessageAsync(m);
        }

        return bodies;
    }
}
