-- wrk script for tests/bench/progress.sh: every request reads the progress summary of a random
-- enrolment n (1 .. BENCH_ENROLMENTS) with the session of that organisation's member, the same
-- choice pgbench makes in progress.pgbench. Reports like report.lua.
local enrolments = tonumber(os.getenv("BENCH_ENROLMENTS") or "2500")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local n = math.random(1, enrolments)
  local path = string.format("/v1/enrolments/00000000-0000-4000-8000-%012d/progress", n)
  return wrk.format("GET", path, {["Authorization"] = "Bearer bench-session-token-" .. n})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000,
    latency:percentile(90) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    e.connect + e.read + e.write + e.timeout,
    e.status))
end
