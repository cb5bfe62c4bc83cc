-- wrk script: POST one valid invoice.paid event per request, keep-alive, for both billhook and
-- the nginx reference (the same bytes go to both).
--   wrk -s bench/publish.lua URL -- TEMPLATE_FILE API_KEY
-- TEMPLATE_FILE is a request body in which __ID__ becomes a unique invoice id (so no event waits
-- for another of its invoice) and __SENT__ becomes "0" (no latency stamp here).
-- done() prints one JSON line: requests, duration, rate and errors (non-2xx/3xx answers included).

local counter = 0
local prefix = "inv_wrk_"
local head, between, tail
local headers

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local template = file:read("*a"):gsub("%s+$", "")
  file:close()
  local at = template:find("__ID__", 1, true)
  local sent = template:find("__SENT__", 1, true)
  head = template:sub(1, at - 1)
  between = template:sub(at + 6, sent - 1)
  tail = template:sub(sent + 8)
  headers = { ["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/json" }
end

function request()
  if counter == 0 then
    -- thread_id comes from setup(); the clock keeps ids unique across runs against one store.
    prefix = "inv_wrk_" .. tostring(os.time()) .. "_" .. tostring(thread_id or 0) .. "_"
  end
  counter = counter + 1
  return wrk.format("POST", nil, headers, head .. prefix .. counter .. between .. "0" .. tail)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rate":%.1f,"non_2xx":%d,"socket_errors":%d,' ..
    '"latency_p50_ms":%.3f,"latency_p99_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
