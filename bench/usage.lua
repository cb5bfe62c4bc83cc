-- wrk script: POST usage events for one subscription, keep-alive; each with a transaction_id unique
-- across threads and runs, so that every one is stored and counted.
--   wrk -s bench/usage.lua URL -- API_KEY SUBSCRIPTION_ID BATCH
-- BATCH 1 posts one event per request to /v1/usage-events; BATCH n > 1 posts {"events": [n events]}
-- to /v1/usage-events/batch (the URL given decides which path is hit).
-- done() prints one JSON line: requests, events, duration, rates and errors (non-2xx/3xx included).

local counter = 0
local prefix
local headers
local subscription
batch = 1  -- a global, so that done() can read it from a thread (thread:get)
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  headers = { ["Authorization"] = "Bearer " .. args[1], ["Content-Type"] = "application/json" }
  subscription = args[2]
  batch = tonumber(args[3])
end

local function one_event()
  counter = counter + 1
  return '{"transaction_id":"' .. prefix .. counter .. '","code":"bench_gb","external_subscription_id":"'
    .. subscription .. '","properties":{"gb":"' .. (counter % 7) .. '.5","region":"eu"}}'
end

function request()
  if counter == 0 then
    prefix = "tx_" .. tostring(os.time()) .. "_" .. tostring(thread_id or 0) .. "_"
  end
  if batch == 1 then
    return wrk.format("POST", nil, headers, one_event())
  end
  local events = {}
  for i = 1, batch do events[i] = one_event() end
  return wrk.format("POST", nil, headers, '{"events":[' .. table.concat(events, ",") .. ']}')
end

function done(summary, latency, requests)
  -- done() runs in wrk's main Lua state, where init() never ran: the batch size is the threads'.
  batch = tonumber(threads[1]:get("batch")) or 1
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "events": %d, "duration_s": %.3f, "rate": %.1f, "events_per_s": %.1f, "errors": %d, '
      .. '"latency_p50_ms": %.3f, "latency_p99_ms": %.3f}\n',
    summary.requests, summary.requests * batch, seconds, summary.requests / seconds,
    summary.requests * batch / seconds, errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
