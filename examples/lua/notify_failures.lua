-- Global style, as Sloth Runner's runtime calls it: reads the `event` global, returns a boolean.
-- It declares no metadata, so it is added with flags:
--   hookflow hook add examples/lua/notify_failures.lua --name notify_failures_global --event task.failed
function on_event()
    local task = event.task
    if task == nil then
        return true
    end
    log.warn(string.format("task %s failed on %s (exit %s): %s",
        task.task_name, task.agent_name, tostring(task.exit_code), task.error or "?"))
    local failures = state.increment("failures." .. task.task_name, 1)
    if failures >= 3 then
        -- Chain: a repeated failure becomes an event of its own, in the same stack.
        local event_mod = require("event")
        event_mod.dispatch("custom.repeated_failure", { task = task.task_name, failures = failures })
    end
    return true
end
