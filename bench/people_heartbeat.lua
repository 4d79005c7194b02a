-- wrk: 50 agents at once. Each request is a heartbeat for a new minute under the next
-- person's token (BENCH_TOKENS, comma-separated), so every person's database is written.
local threads = 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = token end
local counter = 0
local base = 24000000

request = function()
  counter = counter + 1
  local token = tokens[(counter + id) % #tokens + 1]
  local minute = base + id * 1000000 + counter
  return wrk.format("POST", "/api/heartbeat",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    '{"timestamp":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", minute * 60) .. '","host":"bench"}')
end

local failures = 0
response = function(status)
  if status ~= 200 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("heartbeat answered " .. status .. "\n") end
  end
end
