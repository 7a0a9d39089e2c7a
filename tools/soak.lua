-- The mixed-outcome load of RELIABILITY.md against `examples/soak`: of every 1,000 requests a
-- wrk thread sends, 950 are `GET /ok` (200), 49 `GET /error` (500) and 1 `GET /slow` (504 after
-- its 1 s timeout). At the end it prints the status counts of every thread together.
--
--   wrk -t2 -c64 -d60s -s tools/soak.lua http://127.0.0.1:18080

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   sent = 0
   statuses = {}
end

function request()
   sent = sent + 1
   local path = "/ok"
   if sent % 1000 == 0 then
      path = "/slow"
   elseif sent % 20 == 0 then
      path = "/error"
   end
   return wrk.format("GET", path)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + count
      end
   end
   local keys = {}
   for status in pairs(total) do
      table.insert(keys, status)
   end
   table.sort(keys)
   for _, status in ipairs(keys) do
      io.write(string.format("status %d: %d\n", status, total[status]))
   end
end
