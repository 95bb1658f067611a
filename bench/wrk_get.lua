-- wrk script: GET with the portal's session cookie in $COOKIE, each connection (a person) thinking
-- about $THINK_MS between pages (uniformly 0..2×, so people do not click in step); one JSON
-- summary line. THINK_MS=0: as fast as answers come (the page's saturated throughput).
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Accept-Language"] = "vi"
local think = tonumber(os.getenv("THINK_MS") or "0")

function delay()
  if think <= 0 then
    return 0
  end
  return math.random(0, 2 * think)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"err_status":%d,"err_other":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
