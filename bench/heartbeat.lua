-- wrk: every request is a heartbeat for a new minute. Each thread counts up from its
-- own starting minute (before 2020; BENCH_START moves them, so a second run repeats no
-- minute of the first), so no request repeats another.
local threads = 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

-- BENCH_TOKENS (comma-separated) instead of BENCH_TOKEN: each request under the next
-- token, as that many agents of as many people would send.
local counter = 0
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS") or os.getenv("BENCH_TOKEN") or "", "[^,]+") do tokens[#tokens + 1] = token end
local base = tonumber(os.getenv("BENCH_START") or "24000000")

request = function()
  counter = counter + 1
  local minute = base + id * 1000000 + counter
  local token = tokens[(counter + id) % #tokens + 1]
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
