using EcosystemFlows.Azure.ServiceBus;

namespace EcosystemFlows.Azure.Tests.ServiceBus;

/// <summary>The back-off before a failed delivery is abandoned: doubled per delivery, capped by the lock left.</summary>
public sealed class ServiceBusBackOffTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 2_000)]
    [InlineData(3, 4_000)]
    [InlineData(4, 8_000)]
    public void BackOff_LongLock_DoublesPerDelivery(int deliveryCount, int expectedMilliseconds)
    {
        var wait = ServiceBusProcessor.BackOff(TimeSpan.FromSeconds(1), deliveryCount, Now.AddMinutes(5), Now);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), wait);
    }

    [Fact]
    public void BackOff_ManyDeliveries_NeverMoreThan30Seconds()
    {
        var wait = ServiceBusProcessor.BackOff(TimeSpan.FromSeconds(10), 12, Now.AddHours(1), Now);

        Assert.Equal(TimeSpan.FromSeconds(30), wait);
    }

    [Fact]
    public void BackOff_DefaultOneMinuteLock_StaysWellUnderTheLock()
    {
        // The 5th delivery wants 16 s; with 60 s of lock left a quarter (15 s) is the most it may hold.
        var wait = ServiceBusProcessor.BackOff(TimeSpan.FromSeconds(1), 5, Now.AddMinutes(1), Now);

        Assert.Equal(TimeSpan.FromSeconds(15), wait);
    }

    [Fact]
    public void BackOff_LockAlmostExpired_AbandonsAtOnce()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), ServiceBusProcessor.BackOff(TimeSpan.FromSeconds(1), 1, Now.AddMilliseconds(200), Now));
        Assert.Equal(TimeSpan.Zero, ServiceBusProcessor.BackOff(TimeSpan.FromSeconds(1), 1, Now.AddSeconds(-1), Now));
    }
}
