-- workeradvisor: make wrk print its summary as one JSON line, for `workeradvisor load --import`.
-- Usage: wrk -t2 -c50 -d10s --latency -s wrk_report.lua http://127.0.0.1:8000/ > run.txt
-- The line starts with "WORKERADVISOR_WRK_JSON " so it can sit among wrk's normal text output.
-- wrk does not expose its connection count to done(); the text part (or --ccu) gives it.

done = function(summary, latency, requests)
  local pct = {}
  for _, q in ipairs({50, 90, 95, 99, 99.9}) do
    pct[#pct + 1] = string.format('"%s": %d', tostring(q), latency:percentile(q))
  end
  local e = summary.errors
  io.write("WORKERADVISOR_WRK_JSON ")
  io.write(string.format(
    '{"url": "%s://%s:%s%s", "duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "max": %d, "mean": %.3f, "stdev": %.3f, "percentiles": {%s}}}\n',
    wrk.scheme, wrk.host, tostring(wrk.port or ""), wrk.path, summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(pct, ", ")))
end
