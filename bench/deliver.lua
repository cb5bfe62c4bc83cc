-- wrk script: the delivery reference. POSTs envelopes exactly as billhook sends them (body and
-- webhook-id / webhook-timestamp / webhook-signature headers, signed with the endpoint's secret)
-- straight to the benchmark receiver, keep-alive, cycling through a file of pre-signed requests.
--   wrk -s bench/deliver.lua URL -- SIGNED_FILE
-- SIGNED_FILE has one request a line: id TAB timestamp TAB signature TAB body.

local requests_ = {}
local next_ = 0

function init(args)
  for line in io.lines(args[1]) do
    local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if id then
      requests_[#requests_ + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json", ["webhook-id"] = id, ["webhook-timestamp"] = ts,
        ["webhook-signature"] = sig }, body)
    end
  end
  assert(#requests_ > 0, "no signed requests in " .. args[1])
end

function request()
  next_ = next_ % #requests_ + 1
  return requests_[next_]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rate":%.1f,"non_2xx":%d,"socket_errors":%d,' ..
    '"latency_p50_ms":%.3f,"latency_p99_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
