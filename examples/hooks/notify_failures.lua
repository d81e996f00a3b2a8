-- Table style: a failed task is logged, counted in shared state, and a third failure of the
-- same task becomes an event of its own (in the same stack, naming this event as its parent).
local hook = {
    name = "notify_failures",
    description = "Counts task failures and raises custom.repeated_failure on the third",
    event_type = "task.failed",
}

function hook.execute(event)
    local state = require("state")
    local task = event.data.task
    if task == nil then
        return true, "no task data"
    end
    log.warn(string.format("task %s failed on %s (exit %s): %s",
        task.task_name, tostring(task.agent_name), tostring(task.exit_code), tostring(task.error)))
    local failures = state.increment("failures." .. task.task_name, 1)
    if failures >= 3 then
        local events = require("event")
        events.dispatch("custom.repeated_failure", { task = task.task_name, failures = failures })
    end
    return true, string.format("%s has failed %d time(s)", task.task_name, failures)
end

return hook
