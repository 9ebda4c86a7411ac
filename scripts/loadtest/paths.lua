-- wrk script for scripts/loadtest.sh: GET requests cycling through many paths, so a
-- response cache cannot answer them all (the search and uncached-page steps, the start-up
-- step's mix of standard queries, the mutation mix's reads).
--
--   wrk ... -s paths.lua URL -- PATHS_FILE [CHECK] [SALT]
--
-- PATHS_FILE holds one request path (with its query string) per line. Each thread starts at
-- its own place in the list and walks it in order, wrapping around. In a path, the text
-- NONCE is replaced with a value no other request of the run has (SALT, the thread and a
-- counter: letters, digits and "-"), so a variable `{"nonce":"NONCE"}` makes every request a
-- response-cache miss; give each wrk run its own SALT. With CHECK = 1 (the default) every
-- response body is scanned for a GraphQL "errors" key, as step.lua does; a status outside
-- 200..299 counts as non-2xx. done() prints the RESULT/SAMPLE lines of step.lua.

local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("id", started)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  assert(#paths > 0, "no paths in " .. args[1])
  check_body = args[2] ~= "0"
  salt = (args[3] or "0"):gsub("[^%w-]", "")
  non2xx = 0
  graphql_errors = 0
  sample = ""
  position = ((id or 1) * 7919) % #paths
  counter = 0
end

function request()
  position = position % #paths + 1
  local path = paths[position]
  if path:find("NONCE", 1, true) then
    counter = counter + 1
    path = path:gsub("NONCE", salt .. "-" .. (id or 1) .. "-" .. counter)
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif check_body and body and body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  else
    return
  end
  if sample == "" then
    sample = status .. " " .. (body or ""):sub(1, 300):gsub("%s+", " ")
  end
end

function done(summary, latency, requests)
  local bad, gql, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    gql = gql + thread:get("graphql_errors")
    if first == "" then
      first = thread:get("sample") or ""
    end
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %d %.3f %.1f %.3f %.3f %.3f %d %d %d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad, gql, socket))
  if first ~= "" then
    io.write("SAMPLE " .. first .. "\n")
  end
end
