-- wrk script for scripts/loadtest.sh: one step = the same request over and over.
--
--   wrk ... -s step.lua URL -- METHOD PATH [BODY_FILE] [CHECK]
--
-- METHOD and PATH (with its query string) make the request; BODY_FILE, when given and not
-- "-", is sent as a JSON body. The request is built once per thread (wrk's static fast path:
-- no Lua call per request). With CHECK = 1 (the default) every response body is also scanned
-- for a GraphQL "errors" key; inside a JSON string a quote is escaped, so the bare text
-- "errors" in quotes can only be a key. A status outside 200..299 counts as non-2xx.
--
-- done() prints one machine-readable line for loadtest.sh:
--   RESULT requests duration_s rps p50_ms p99_ms max_ms non2xx graphql_errors socket_errors
-- and, when a response failed, the first one seen (status and up to 300 bytes of body):
--   SAMPLE status body

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local method, path, body_file, check = args[1], args[2], args[3], args[4]
  wrk.method = method or "GET"
  wrk.path = path or "/"
  if body_file and body_file ~= "" and body_file ~= "-" then
    local file = assert(io.open(body_file, "rb"), "cannot open " .. body_file)
    wrk.body = file:read("*a")
    file:close()
    wrk.headers["Content-Type"] = "application/json"
  end
  check_body = check ~= "0"
  non2xx = 0
  graphql_errors = 0
  sample = ""
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
