using EcosystemFlows.Workflows.JointOffering;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace EcosystemFlows.Functions.Workflows;

/// <summary>
/// The joint-offering workflow's orchestrators and activities as Durable Functions, one wrapper each, named after the
/// class it runs (<see cref="JointOfferingRegistration"/> lists them; the contract test holds this file to that
/// list). Written by hand: the DurableTask source generator that would write them is not served, and it only sees
/// classes of the compiling project anyway.
/// </summary>
public static class JointOfferingFunctions
{
    /// <summary>Runs <see cref="JointOfferingOrchestrator"/>.</summary>
    [Function(nameof(JointOfferingOrchestrator))]
    public static Task<JointOfferingResult> RunJointOfferingOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Orchestrate<JointOfferingOrchestrator, JointOfferingInput, JointOfferingResult>(context);

    /// <summary>Runs <see cref="AmendmentRoundOrchestrator"/>.</summary>
    [Function(nameof(AmendmentRoundOrchestrator))]
    public static Task<AmendmentRoundResult> RunAmendmentRoundOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Orchestrate<AmendmentRoundOrchestrator, AmendmentRoundInput, AmendmentRoundResult>(context);

    /// <summary>Runs <see cref="ValidateOfferingActivity"/>.</summary>
    [Function(nameof(ValidateOfferingActivity))]
    public static Task<ValidationOutcome> RunValidateOfferingActivity([ActivityTrigger] ValidateOfferingInput input, string instanceId, FunctionContext context) =>
        RunActivity<ValidateOfferingActivity, ValidateOfferingInput, ValidationOutcome>(input, instanceId, context);

    /// <summary>Runs <see cref="VerifyPartnerActivity"/>.</summary>
    [Function(nameof(VerifyPartnerActivity))]
    public static Task<MemberVerification> RunVerifyPartnerActivity([ActivityTrigger] VerifyPartnerInput input, string instanceId, FunctionContext context) =>
        RunActivity<VerifyPartnerActivity, VerifyPartnerInput, MemberVerification>(input, instanceId, context);

    /// <summary>Runs <see cref="CheckConflictsActivity"/>.</summary>
    [Function(nameof(CheckConflictsActivity))]
    public static Task<IReadOnlyList<string>> RunCheckConflictsActivity([ActivityTrigger] CheckConflictsInput input, string instanceId, FunctionContext context) =>
        RunActivity<CheckConflictsActivity, CheckConflictsInput, IReadOnlyList<string>>(input, instanceId, context);

    /// <summary>Runs <see cref="RecordTransitionActivity"/>.</summary>
    [Function(nameof(RecordTransitionActivity))]
    public static Task<bool> RunRecordTransitionActivity([ActivityTrigger] TransitionInput input, string instanceId, FunctionContext context) =>
        RunActivity<RecordTransitionActivity, TransitionInput, bool>(input, instanceId, context);

    /// <summary>Runs <see cref="CloseRoundActivity"/>.</summary>
    [Function(nameof(CloseRoundActivity))]
    public static Task<IReadOnlyList<LateDecision>> RunCloseRoundActivity([ActivityTrigger] CloseRoundInput input, string instanceId, FunctionContext context) =>
        RunActivity<CloseRoundActivity, CloseRoundInput, IReadOnlyList<LateDecision>>(input, instanceId, context);

    /// <summary>Runs <see cref="CreateSkuActivity"/>.</summary>
    [Function(nameof(CreateSkuActivity))]
    public static Task<string> RunCreateSkuActivity([ActivityTrigger] CreateSkuInput input, string instanceId, FunctionContext context) =>
        RunActivity<CreateSkuActivity, CreateSkuInput, string>(input, instanceId, context);

    /// <summary>Runs <see cref="AssignSupportActivity"/>.</summary>
    [Function(nameof(AssignSupportActivity))]
    public static Task<bool> RunAssignSupportActivity([ActivityTrigger] AssignSupportInput input, string instanceId, FunctionContext context) =>
        RunActivity<AssignSupportActivity, AssignSupportInput, bool>(input, instanceId, context);

    /// <summary>Runs <see cref="EndSupportActivity"/>.</summary>
    [Function(nameof(EndSupportActivity))]
    public static Task<bool> RunEndSupportActivity([ActivityTrigger] string input, string instanceId, FunctionContext context) =>
        RunActivity<EndSupportActivity, string, bool>(input, instanceId, context);

    /// <summary>Runs <see cref="RetireSkuActivity"/>.</summary>
    [Function(nameof(RetireSkuActivity))]
    public static Task<bool> RunRetireSkuActivity([ActivityTrigger] RetireSkuInput input, string instanceId, FunctionContext context) =>
        RunActivity<RetireSkuActivity, RetireSkuInput, bool>(input, instanceId, context);

    /// <summary>Runs <see cref="WriteOfferingSheetActivity"/>.</summary>
    [Function(nameof(WriteOfferingSheetActivity))]
    public static Task<bool> RunWriteOfferingSheetActivity([ActivityTrigger] WriteOfferingSheetInput input, string instanceId, FunctionContext context) =>
        RunActivity<WriteOfferingSheetActivity, WriteOfferingSheetInput, bool>(input, instanceId, context);

    /// <summary>
    /// Runs orchestrator <typeparamref name="TOrchestrator"/> on the extension's context. A new instance per episode, as
    /// the local host's worker creates one: orchestrators keep no state between replays.
    /// </summary>
    private static Task<TOutput> Orchestrate<TOrchestrator, TInput, TOutput>(TaskOrchestrationContext context)
        where TOrchestrator : TaskOrchestrator<TInput, TOutput>, new()
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TOrchestrator().RunAsync(context, context.GetInput<TInput>()!);
    }

    /// <summary>
    /// Runs activity <typeparamref name="TActivity"/> with its dependencies from the invocation's services, as the local
    /// host's worker creates it (registered by type, constructor injection).
    /// </summary>
    private static Task<TOutput> RunActivity<TActivity, TInput, TOutput>(TInput input, string instanceId, FunctionContext context)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        ArgumentNullException.ThrowIfNull(context);
        var activity = ActivatorUtilities.GetServiceOrCreateInstance<TActivity>(context.InstanceServices);
        return activity.RunAsync(new InvocationActivityContext(typeof(TActivity).Name, instanceId), input);
    }

    /// <summary>What an activity learns about its invocation: its name and its orchestration's instance id.</summary>
    private sealed class InvocationActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }
}
