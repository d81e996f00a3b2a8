-- Table style, as Sloth Runner documents it: `hookflow hook add hello.lua` needs no flags.
local hook = {
    name = "hello",
    description = "Greets the server when it starts, and counts its starts",
    event_type = "system.startup",
}

function hook.execute(event)
    local state = require("state")
    local starts = state.increment("examples.starts", 1)
    log.info(string.format("hookflow started on %s (pid %s)", event.data.host, tostring(event.data.pid)))
    return true, string.format("hello from Lua: start number %d", starts)
end

return hook
