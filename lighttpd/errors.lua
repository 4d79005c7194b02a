-- lighttpd mod_magnet, at the start of every response: an error lighttpd made itself
-- (its HTML page: a malformed request, a body it could not take, the responder not
-- running) becomes the API's JSON error, as nginx's error_page does. The responder's
-- own errors are JSON already and pass untouched.
local r = lighty.r
local status = tonumber(r.req_item.http_status) or 0
if status < 400 then return 0 end
-- lighttpd's own error pages are plain "text/html" (or have no type); the responder's
-- pages say "text/html; charset=utf-8" and its API errors are JSON: those pass.
local kind = r.resp_header["Content-Type"] or ""
if kind ~= "" and kind ~= "text/html" then return 0 end
local messages = {
  [400] = "malformed request",
  -- mod_auth's login (its WWW-Authenticate: Basic header stays)
  [401] = "log in to see this: a name and password from /etc/attendance/htpasswd",
  [404] = "no such path",
  [408] = "the request took too long to arrive",
  [411] = "a body needs a Content-Length",
  [413] = "request body is larger than 2 MiB",
  [414] = "request URI too long",
  [431] = "request headers too large",
  [500] = "the web server failed; nothing was stored",
  [502] = "the responder is not running; try again shortly",
  [503] = "the responder is not running; try again shortly",
  [504] = "the responder did not answer in time; try again shortly",
  [507] = "the disk is full; nothing was stored",
}
local message = messages[status] or ("HTTP error " .. status)
-- The import paths take up to 512 MiB (the same list as heartbeat-auth.lua).
local imports = {
  ["/api/import/activitywatch"] = true, ["/api/import/csv"] = true,
  ["/settings/import/activitywatch"] = true, ["/settings/import/csv"] = true,
  ["/api/import"] = true, ["/settings/import"] = true,
}
if status == 413 and imports[r.req_attr["uri.path"] or ""] then
  message = "an import is limited to 512 MiB"
end
local code = status
if status == 502 or status == 504 then code = 503 end
r.resp_header["Content-Type"] = "application/json"
r.resp_header["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
r.resp_header["X-Content-Type-Options"] = "nosniff"
r.resp_header["X-Frame-Options"] = "DENY"
r.resp_header["Referrer-Policy"] = "same-origin"
if code == 503 then r.resp_header["Retry-After"] = "5" end
r.resp_body:set({ '{"error":"' .. message .. '"}\n' })
return code
