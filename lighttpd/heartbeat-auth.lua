-- lighttpd mod_magnet: what nginx/attendance.conf does before the responder sees a
-- request. /api/heartbeat needs "Authorization: Bearer <token>", compared exactly and
-- case-sensitively; a body declared over 2 MiB (512 MiB for an import) is refused. Both answer in the API's
-- JSON error shape. The tokens live in lighttpd-token.lua (generated, never in git).
local r = lighty.r
local limit = 2 * 1024 * 1024

local function refuse(status, message, extra)
  r.resp_header["Content-Type"] = "application/json"
  r.resp_header["X-Content-Type-Options"] = "nosniff"
  r.resp_header["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  r.resp_header["X-Frame-Options"] = "DENY"
  r.resp_header["Referrer-Policy"] = "same-origin"
  for name, value in pairs(extra or {}) do r.resp_header[name] = value end
  r.resp_body:set({ '{"error":"' .. message .. '"}\n' })
  return status
end

-- The static files under /static/v/VERSION/ (VERSION names their contents, see
-- nginx/server.conf): served from /static/, and kept by browsers for a year.
do
  local file = (r.req_attr["uri.path"] or ""):match("^/static/v/%x%x%x%x%x%x%x%x%x%x%x%x/([%w._-]+)$")
  if file then
    r.req_attr["uri.path"] = "/static/" .. file
    r.resp_header["Cache-Control"] = "public, max-age=31536000, immutable"
    return 0
  end
end

-- The path as the responder will route it is the raw one; the decoded, simplified
-- one is what a lenient router might see. Guard both spellings.
local path = r.req_attr["uri.path"] or ""
local raw = (r.req_attr["uri.path-raw"] or ""):gsub("%?.*$", "")

-- The imports take files up to 512 MiB (the same paths as in attendance.conf).
local imports = {
  ["/api/import/activitywatch"] = true, ["/api/import/csv"] = true,
  ["/settings/import/activitywatch"] = true, ["/settings/import/csv"] = true,
  ["/api/import"] = true, ["/settings/import"] = true,
}
local length = tonumber(r.req_header["Content-Length"] or "0") or 0
if imports[raw] then
  if length > 512 * 1024 * 1024 then
    return refuse(413, "an import is limited to 512 MiB")
  end
elseif length > limit then
  return refuse(413, "request body is larger than 2 MiB")
end
if path == "/api/heartbeat" or raw == "/api/heartbeat" then
  -- Each person's token and name (generated from the people registry, read on every
  -- heartbeat, so a new person's token works at once).
  local tokens = dofile("/etc/attendance/lighttpd-token.lua")
  local given = r.req_header["Authorization"] or ""
  local token = given:match("^Bearer (.+)$")
  if token == nil or tokens[token] == nil then
    return refuse(401, "missing or wrong bearer token", { ["WWW-Authenticate"] = "Bearer" })
  end
end
return 0
