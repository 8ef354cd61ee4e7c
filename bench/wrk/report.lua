-- bench/run's wrk script. Environment: BENCH_METHOD, BENCH_PATH, BENCH_HEADERS (lines
-- "Name: value"), BENCH_BODY (a template: {n} becomes a number unique to this run, for fresh
-- emails and idempotency keys), BENCH_BODY_FILE (a file sent as is), BENCH_CYCLE (when set, {n}
-- cycles through 1..BENCH_CYCLE: replays), BENCH_PREFIX (makes {n} unique across runs).
-- At the end it prints one JSON line: throughput, latency percentiles and errors (wrk counts
-- statuses of 400 and above).
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local template = os.getenv("BENCH_BODY")
if template == "" then template = nil end
local prefix = os.getenv("BENCH_PREFIX") or "0"
local cycle = tonumber(os.getenv("BENCH_CYCLE") or "")
local headers = {}
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
end
local file = os.getenv("BENCH_BODY_FILE")
if file == "" then file = nil end
local fixed = nil
if file then
    local f = assert(io.open(file, "rb"))
    fixed = f:read("*a")
    f:close()
end

local threads = {}
local counter = 0
thread_id = 0 -- set in each thread by setup()

function setup(thread)
    thread:set("thread_id", #threads + 1)
    table.insert(threads, thread)
end

function request()
    counter = counter + 1
    local body = fixed
    if template then
        local n
        if cycle then n = tostring((counter - 1) % cycle + 1) else n = prefix .. "-" .. thread_id .. "-" .. counter end
        local h = {}
        for k, v in pairs(headers) do h[k] = v:gsub("{n}", n) end
        body = template:gsub("{n}", n)
        return wrk.format(method, path, h, body)
    end
    return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"errors_4xx_5xx":%d,"socket_errors":%d}\n',
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
        e.status, e.connect + e.read + e.write + e.timeout))
end
