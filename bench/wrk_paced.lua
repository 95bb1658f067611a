-- wrk script: POST the JSON body in $BODY_FILE with the bearer token in $TOKEN, each connection
-- waiting $DELAY_MS before its next request (so C connections ask for about C*1000/DELAY_MS per
-- second); keeps the id of every proposal created. Prints one WRKJSON summary line, then one
-- WRKID line per id (for the end-to-end latency read back from reporting).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  count = 0
end

function delay()
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
