-- hookflow's Lua sandbox: built once per Lua state, shared by every run on that state.
-- Called with the table of native (JS) functions; returns the entry points the engine uses.
-- Scripts never see this chunk's globals: each run gets a fresh environment table whose
-- __index falls back to `base`, and every shared table it can reach is a read-only proxy.
local N = ...

local type, pairs, ipairs, next, select, error, tostring, tonumber = type, pairs, ipairs, next, select, error, tostring, tonumber
local setmetatable, getmetatable, rawget, rawset, rawequal, rawlen = setmetatable, getmetatable, rawget, rawset, rawequal, rawlen
local pcall, xpcall, assert, raw_load, collectgarbage = pcall, xpcall, assert, load, collectgarbage
local co_create, co_resume, co_yield, co_status = coroutine.create, coroutine.resume, coroutine.yield, coroutine.status
local co_running, co_isyieldable, co_close = coroutine.running, coroutine.isyieldable, coroutine.close
local concat, unpack, sort = table.concat, table.unpack, table.sort
local os_time, os_date, os_clock, os_difftime = os.time, os.date, os.clock, os.difftime

-- Reachable through any string's metatable: no bytecode dumps, no replacing string methods.
string.dump = nil
getmetatable("").__metatable = false

-- Yielded first by every module call that needs the host; the engine resumes with `ok, result`.
local ASYNC = setmetatable({}, { __metatable = false, __tostring = function() return "hookflow.async" end })
-- Marks tables that are JSON arrays (so `{}` decoded from `[]` encodes back as `[]`).
local ARRAY_MT = { __metatable = "json.array", __name = "json.array" }
local JSON_NULL = setmetatable({}, { __metatable = false, __tostring = function() return "json.null" end })
local EMPTY = setmetatable({}, {
  __metatable = false,
  __index = function(_, key) error("global '" .. tostring(key) .. "' is not available here", 2) end,
  __newindex = function() error("globals cannot be set here", 2) end,
})

local protected = setmetatable({}, { __mode = "k" })
local function readonly(name, source)
  local proxy = {}
  protected[proxy] = true
  return setmetatable(proxy, {
    __index = source,
    __newindex = function(_, key)
      error("attempt to modify read-only table '" .. name .. "' (field '" .. tostring(key) .. "')", 2)
    end,
    __pairs = function() return next, source, nil end,
    __len = function() return #source end,
    __metatable = false,
  })
end

local function safe_rawset(t, k, v)
  if protected[t] then error("attempt to modify a read-only table", 2) end
  return rawset(t, k, v)
end

local function describe(value)
  if type(value) == "table" then
    local ok, text = pcall(N.json_encode, value, false)
    if ok then return text end
  end
  return tostring(value)
end

local function joined(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = describe((select(i, ...))) end
  return concat(parts, " ")
end

-- Host calls ---------------------------------------------------------------------------------
-- Module functions yield to the engine; `level` points errors at the script line that called.
local function await(op, ...)
  return co_yield(ASYNC, op, ...)
end

-- A host call made directly by a module function: its failure is raised at the script line that
-- called the module function (level 3). Callers keep the result in a local before returning it,
-- because a tail call would drop their frame and move the error one line up.
local function host_call(op, ...)
  local ok, result = await(op, ...)
  if not ok then error(result, 3) end
  return result
end

-- Coroutines created by scripts pass the engine's yields up and the answers back down, so
-- `http.get` works inside them too.
local function relay(co, ok, ...)
  if ok and rawequal((...), ASYNC) and co_status(co) == "suspended" then
    return relay(co, co_resume(co, co_yield(...)))
  end
  return ok, ...
end
local function co_resume_relayed(co, ...)
  return relay(co, co_resume(co, ...))
end
local function unwrap(ok, ...)
  if not ok then error((...), 0) end
  return ...
end
local coroutine_lib = {
  create = co_create,
  resume = co_resume_relayed,
  yield = co_yield,
  status = co_status,
  running = co_running,
  isyieldable = co_isyieldable,
  close = co_close,
  wrap = function(fn)
    local co = co_create(fn)
    return function(...) return unwrap(relay(co, co_resume(co, ...))) end
  end,
}

-- Modules ------------------------------------------------------------------------------------
-- `level` 3 blames the caller of the module function that checks (the script line).
local function checktype(value, expected, fname, position, level)
  if type(value) ~= expected then
    error("bad argument #" .. position .. " to '" .. fname .. "' (" .. expected .. " expected, got " .. type(value) .. ")", level or 3)
  end
end

local log = {}
for _, level in ipairs({ "debug", "info", "warn", "error" }) do
  local tag = level:upper()
  log[level] = function(...) N.log(tag, joined(...)) end
end

local function contains(list, value)
  if type(list) == "string" then return list:find(tostring(value), 1, true) ~= nil end
  if type(list) ~= "table" then return false end
  for _, item in pairs(list) do
    if item == value or tostring(item) == tostring(value) then return true end
  end
  return false
end

local http = {}
local function http_call(method, url, options)
  checktype(url, "string", "http." .. method:lower(), 1, 4)
  if options ~= nil and type(options) ~= "table" then
    error("bad argument #2 to 'http." .. method:lower() .. "' (table expected, got " .. type(options) .. ")", 3)
  end
  local ok, result = await("http", method, url, options)
  if not ok then error(result, 3) end
  return result
end
for _, method in ipairs({ "get", "post", "put", "patch", "delete", "head" }) do
  local verb = method:upper()
  http[method] = function(url, options)
    local response = http_call(verb, url, options)
    return response
  end
end
function http.request(method, url, options)
  if type(method) == "table" then
    options = method
    method, url = options.method or "GET", options.url
  end
  checktype(method, "string", "http.request", 1)
  local response = http_call(method:upper(), url, options)
  return response
end

local exec = {}
function exec.run(command, options)
  if type(command) ~= "string" and type(command) ~= "table" then
    error("bad argument #1 to 'exec.run' (string or list expected, got " .. type(command) .. ")", 2)
  end
  local result = host_call("exec", command, options)
  return result
end

local state = {}
function state.get(key)
  checktype(key, "string", "state.get", 1)
  local result = host_call("state_get", key)
  return result
end
function state.set(key, value)
  checktype(key, "string", "state.set", 1)
  host_call("state_set", key, value)
  return true
end
function state.delete(key)
  checktype(key, "string", "state.delete", 1)
  local result = host_call("state_delete", key)
  return result
end
function state.increment(key, by)
  checktype(key, "string", "state.increment", 1)
  if by ~= nil and type(by) ~= "number" then
    error("bad argument #2 to 'state.increment' (number expected, got " .. type(by) .. ")", 2)
  end
  local result = host_call("state_increment", key, by or 1)
  return result
end

local secret = {}
function secret.get(name)
  checktype(name, "string", "secret.get", 1)
  local result = host_call("secret_get", name)
  return result
end

local event_module = {}
function event_module.dispatch(event_type, data)
  if type(event_type) ~= "string" then return false, "event type must be a string" end
  if data ~= nil and type(data) ~= "table" then return false, "event data must be a table" end
  local ok, result = await("dispatch", event_type, data or {})
  if not ok then return false, result end
  return true, result
end
function event_module.dispatch_custom(name, message)
  local ok, result = event_module.dispatch("custom", { name = name, message = message, timestamp = os_time() })
  return ok, result
end
local FILE_EVENTS = { created = true, modified = true, deleted = true }
function event_module.dispatch_file(kind, path)
  if not FILE_EVENTS[kind] then return false, "file event kind must be created, modified or deleted" end
  local ok, result = event_module.dispatch("file." .. kind, { path = path })
  return ok, result
end

local json = {
  null = JSON_NULL,
  encode = function(value, options)
    local pretty = type(options) == "table" and (options.indent or options.pretty) or options == true
    return N.json_encode(value, pretty and true or false)
  end,
  decode = N.json_decode,
  array = function(list)
    list = list or {}
    if getmetatable(list) == nil then setmetatable(list, ARRAY_MT) end
    return list
  end,
}

local yaml = { encode = N.yaml_encode, decode = N.yaml_decode }
local template = { render = N.template_render }
local crypto = {
  sha256 = N.sha256,
  hmac_sha256 = N.hmac_sha256,
  base64_encode = N.base64_encode,
  base64_decode = N.base64_decode,
  uuid = N.uuid,
}
local env_module = { get = N.env_get }

local function file_result(ok, value)
  if ok then return value end
  return nil, value
end
local file = {
  read = function(path) return file_result(N.file_read(path)) end,
  write = function(path, content) return file_result(N.file_write(path, content, false)) end,
  append = function(path, content) return file_result(N.file_write(path, content, true)) end,
  exists = N.file_exists,
  lineinfile = function(options, line)
    if type(options) ~= "table" then options = { path = options, line = line } end
    return file_result(N.file_lineinfile(options.path, options.line, options.create == true, options.regexp))
  end,
}
local file_ops = { lineinfile = file.lineinfile }

local MODULES = {
  exec = readonly("exec", exec),
  http = readonly("http", http),
  json = readonly("json", json),
  yaml = readonly("yaml", yaml),
  template = readonly("template", template),
  crypto = readonly("crypto", crypto),
  env = readonly("env", env_module),
  file = readonly("file", file),
  state = readonly("state", state),
  secret = readonly("secret", secret),
  event = readonly("event", event_module),
  log = readonly("log", log),
  file_ops = readonly("file_ops", file_ops),
}
local module_names = {}
for name in pairs(MODULES) do module_names[#module_names + 1] = name end
sort(module_names)
local module_list = concat(module_names, ", ")

local function require_module(name)
  local found = MODULES[name]
  if found then return found end
  error("module '" .. tostring(name) .. "' is not available to hooks (available: " .. module_list .. ")", 2)
end

local function safe_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not available to hooks", 2)
  end
  return setmetatable(t, mt)
end

local function safe_collectgarbage(option, ...)
  if option == nil or option == "collect" or option == "count" or option == "step" then
    return collectgarbage(option, ...)
  end
  error("collectgarbage('" .. tostring(option) .. "') is not available to hooks", 2)
end

-- The shared base every run environment falls back to --------------------------------------
local base = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  rawequal = rawequal, rawget = rawget, rawlen = rawlen, rawset = safe_rawset, select = select,
  setmetatable = safe_setmetatable, getmetatable = getmetatable, tonumber = tonumber, tostring = tostring,
  type = type, xpcall = xpcall, unpack = unpack, collectgarbage = safe_collectgarbage,
  _VERSION = _VERSION,
  print = function(...) N.log(nil, joined(...)) end,
  require = require_module,
  contains = contains,
  string = readonly("string", string),
  table = readonly("table", table),
  math = readonly("math", math),
  utf8 = readonly("utf8", utf8),
  coroutine = readonly("coroutine", coroutine_lib),
  os = readonly("os", { time = os_time, date = os_date, clock = os_clock, difftime = os_difftime }),
}
for name, module in pairs(MODULES) do base[name] = module end
local ENV_MT = { __index = base, __metatable = false }
local EVENT_MT = { __index = MODULES.event, __metatable = false }

-- A state runs one hook at a time (the engine guarantees it), so `load` can find the running
-- hook's environment here instead of each run creating its own `load`.
local current_env = EMPTY
function base.load(chunk, name, _, chunk_env)
  if chunk_env == nil then chunk_env = current_env end
  return raw_load(chunk, name, "t", chunk_env)
end

local function new_env(event)
  local env = setmetatable({ _G = false, event = event }, ENV_MT)
  env._G = env
  current_env = env
  return env
end

-- Entry points -------------------------------------------------------------------------------
local entry = {}
entry.ASYNC = ASYNC
entry.ARRAY_MT = ARRAY_MT
entry.JSON_NULL = JSON_NULL

-- Compiled once per script: validated as written (exact error positions, and nothing can close
-- the wrapper early), then wrapped so that each run binds its own _ENV.
function entry.compile(source, chunkname)
  local checked, problem = raw_load(source, chunkname, "t", EMPTY)
  if not checked then return nil, problem end
  local factory, wrap_problem = raw_load("return function(_ENV, ...) " .. source .. "\nend", chunkname, "t", EMPTY)
  if not factory then return nil, wrap_problem end
  return factory()
end

-- Returns the style, then what the script returned: `"table", ok, message` or `"global", flag, message`.
function entry.run(script, event)
  setmetatable(event, EVENT_MT)
  local data = rawget(event, "data")
  if type(data) == "table" then
    event.agent = rawget(data, "agent")
    event.task = rawget(data, "task")
  end
  local env = new_env(event)
  local hook = script(env)
  if type(hook) == "table" then
    local execute = hook.execute
    if type(execute) == "function" then return "table", execute(event) end
    if rawget(env, "on_event") == nil then
      error("the table returned by the script has no execute function", 0)
    end
  end
  local on_event = rawget(env, "on_event")
  if type(on_event) == "function" then return "global", on_event(event) end
  return "global"
end

-- Runs only the script's top level and returns what it returned (the table style's metadata).
function entry.inspect(script)
  local event = setmetatable({ data = {} }, EVENT_MT)
  local hook = script(new_env(event))
  if type(hook) ~= "table" then return nil end
  return {
    name = hook.name, description = hook.description, event_type = hook.event_type,
    event_types = hook.event_types, stack = hook.stack, filter = hook.filter, timeout = hook.timeout,
    has_execute = type(hook.execute) == "function",
  }
end

function entry.collect()
  collectgarbage("collect")
end

return entry
