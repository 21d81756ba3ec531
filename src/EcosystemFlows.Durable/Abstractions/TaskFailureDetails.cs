namespace EcosystemFlows.Durable;

/// <summary>
/// Serializable description of a failure of an activity, sub-orchestration or orchestration
/// (mirrors Durable Task's <c>TaskFailureDetails</c>). Exceptions are not serialized: only
/// their type name, message, stack trace and inner failure travel through history.
/// </summary>
/// <param name="ErrorType">Full type name of the original exception.</param>
/// <param name="ErrorMessage">Message of the original exception.</param>
/// <param name="StackTrace">Stack trace of the original exception, if any.</param>
/// <param name="InnerFailure">Details of the inner exception, if any.</param>
public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace, TaskFailureDetails? InnerFailure)
{
    /// <summary>Builds failure details from an exception, including its inner exceptions.</summary>
    public static TaskFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        // A task failure re-thrown by an orchestrator keeps the original failure as its inner failure,
        // so callers can walk the whole causal chain (activity -> sub-orchestration -> parent).
        var inner = exception switch
        {
            TaskFailedException taskFailed => taskFailed.FailureDetails,
            _ when exception.InnerException is not null => FromException(exception.InnerException),
            _ => null,
        };
        return new TaskFailureDetails(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.StackTrace, inner);
    }

    /// <summary>True when this failure or one of its inner failures was caused by an exception of type <typeparamref name="T"/>.</summary>
    public bool IsCausedBy<T>() where T : Exception
    {
        for (var current = this; current is not null; current = current.InnerFailure)
        {
            if (current.ErrorType == typeof(T).FullName)
            {
                return true;
            }
        }

        return false;
    }
}
