-- The wrk script of `npm run bench:service` (see bench/service/wrk-load.ts): every request a new
-- visitor (tntId `<prefix><thread>-<n>`) executing the `hero` mbox of the bundled sample, the same
-- body as the autocannon generator (bench/service/load.ts).
--
--   wrk -t1 -c16 -d10s -s bench/service/wrk-hero.lua URL -- <prefix> [answered-file]
--
-- With an answered file, every 200 answer is appended to it as `tntId experienceId` (read back from
-- the response), so the orchestrator can check each decision's notification at the stand-in.
-- At the end one JSON line is printed: requests, duration, error counts, latency percentiles (µs).

wrk.method = "POST"
wrk.path = "/rest/v1/delivery?client=demo"
wrk.headers["content-type"] = "application/json"

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

local prefix = "v-"
local counter = 0
local answered = nil

function init(args)
  prefix = (args[1] or "v-") .. tostring(thread_number) .. "-"
  if args[2] then
    answered = io.open(args[2] .. "." .. tostring(thread_number), "a")
    answered:setvbuf("full")
  end
end

local BODY_HEAD = '{"id":{"tntId":"'
local BODY_TAIL = '"},"context":{"channel":"web","address":{"url":"https://shop.example/"},'
  .. '"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},'
  .. '"execute":{"mboxes":[{"name":"hero","index":1}]}}'

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, BODY_HEAD .. prefix .. counter .. BODY_TAIL)
end

function response(status, headers, body)
  if answered == nil or status ~= 200 then return end
  local tnt = body:match('"tntId":"([^"]+)"')
  local experience = body:match('"experience%.id":(%d+)') or "-"
  if tnt then answered:write(tnt, " ", experience, "\n") end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
