-- The reference for translate-and-forward: what a team would write in nginx + Lua (OpenResty
-- style) instead of Dragoman. Volt MX audience create in (HTTP Basic), Telness Connect create
-- out, Volt MX answer back: the same field mapping and required-field checks Dragoman does,
-- without a durable id map (ids come from a shared-memory counter).
local cjson = require "cjson.safe"

local function answer(status, body)
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.print(cjson.encode(body))
    return ngx.exit(status)
end

if ngx.var.http_authorization ~= ngx.var.bench_basic then
    ngx.header["WWW-Authenticate"] = 'Basic realm="dragoman"'
    return answer(401, { message = "Unauthorized" })
end

ngx.req.read_body()
local member = cjson.decode(ngx.req.get_body_data() or "")
if type(member) ~= "table" then return answer(400, { message = "Invalid JSON" }) end
for _, field in ipairs({ "firstName", "lastName", "country", "email" }) do
    local value = member[field]
    if type(value) ~= "string" or value == "" then
        return answer(400, { message = field .. " is required" })
    end
end
if not member.email:find("^[^@%s]+@[^@%s]+%.[^@%s]+$") then
    return answer(400, { message = "Invalid email" })
end

local user = { name = member.firstName .. " " .. member.lastName, email = member.email }
if type(member.mobileNumber) == "string" then user.msisdn = member.mobileNumber end
ngx.req.set_header("X-Idempotency-Key", "lua-" .. ngx.var.request_id)
ngx.req.set_header("Content-Type", "application/json")
ngx.req.set_header("Accept", "application/json")
local response = ngx.location.capture("/_telness/users", { method = ngx.HTTP_POST, body = cjson.encode(user) })
if response.status ~= 200 and response.status ~= 201 then
    return answer(502, { message = "The backend refused the request (" .. response.status .. ")" })
end
local created = cjson.decode(response.body)
if type(created) ~= "table" or created.userId == nil then
    return answer(502, { message = "The backend answered without a userId" })
end
local id = ngx.shared.ids:incr("serial", 1, 0)
return answer(200, { id = tostring(id), message = "Details added successfully" })
