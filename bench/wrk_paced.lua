-- wrk script: POST the JSON body in $BODY_FILE with the bearer token in $TOKEN, each connection
-- waiting $DELAY_MS before its next request (so C connections ask for about C*1000/DELAY_MS per
-- second); keeps the id of every proposal created. Prints one WRKJSON summary line, then one
-- WRKID line per id (for the end-to-end latency read back from reporting).
-- The connections' first requests are spread evenly over one pause ($CONNECTIONS of them, one
-- wrk thread), so that the feed is steady: without it all of them would ask at the same instant
-- and again together after each pause, a burst of C requests every pause, not C per pause.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
local started = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  count = 0
end

function delay()
  if started < connections then
    started = started + 1
    return math.floor(pause * (started - 1) / connections)
  end
  return pause
end

function response(status, headers, body)
  if status == 201 or status == 200 then
    local id = body:match('"id"%s*:%s*"([^"]+)"')
    if id then
      count = count + 1
      ids[count] = id
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"err_status":%d,"err_other":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
  for _, thread in ipairs(threads) do
    local kept = thread:get("ids")
    for i = 1, thread:get("count") do
      io.write("WRKID ", kept[i], "\n")
    end
  end
end
