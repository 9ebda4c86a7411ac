-- wrk script for `MODE=soak scripts/loadtest.sh`: a mix of the requests a blog front end sends.
--
-- Each connection cycles through GET and POST queries (lists, filters, single posts with
-- HTML, tag cloud, archive, related posts), Apollo persisted-query GETs, conditional GETs
-- (If-None-Match → 304) and small batches. Variables vary so the response cache sees both
-- hits and misses. Any status other than 200/304, or a body with GraphQL "errors", counts as
-- an error; done() prints the totals and loadtest.sh fails the run when there is one.

local threads = {}

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function json_string(text)
  return '"' .. text:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local function get(query, variables, headers)
  local path = "/graphql?query=" .. urlencode(query)
  if variables then
    path = path .. "&variables=" .. urlencode(variables)
  end
  return wrk.format("GET", path, headers or {})
end

local function post(query, variables)
  local body = '{"query":' .. json_string(query)
  if variables then
    body = body .. ',"variables":' .. variables
  end
  body = body .. "}"
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json" }, body)
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- args: APQ_HASH ETAG (prepared by loadtest.sh)
  local apq_hash, etag = args[1], args[2]
  requests = {}
  local list = "query Recent($n: Int) { posts(first: $n) { totalCount nodes { title date url tags { name } } pageInfo { endCursor hasNextPage } } }"
  for n = 1, 20 do
    table.insert(requests, get(list, '{"n":' .. n .. '}'))
  end
  table.insert(requests, post(list, '{"n":20}'))
  local by_year = "query ByYear($y: Int) { posts(first: 50, filter: {year: $y}) { totalCount nodes { slug title excerpt(words: 30) } } }"
  for y = 2018, 2026 do
    table.insert(requests, post(by_year, '{"y":' .. y .. '}'))
  end
  local one = "query One($s: String!) { postBySerial(serialNumber: $s) { title html readingTimeMinutes tags { name postCount } } }"
  for _, serial in ipairs({ "2024.BLG.001", "2024.BLG.002", "2025.BLG.003", "2025.NTS.001", "2025.nts.002" }) do
    table.insert(requests, post(one, '{"s":"' .. serial .. '"}'))
  end
  table.insert(requests, get("query Cloud { tagCloud(limit: 30) { name count weight level } }"))
  table.insert(requests, post("query Archive { archive { year count months { month count } } }"))
  table.insert(requests, post("query Site { site { title postCount tagCount version } categories { name count } series { series count } }"))
  table.insert(requests, post("query Related { posts(first: 10) { nodes { slug related(first: 3) { post { slug } } } } }"))
  if apq_hash and apq_hash ~= "" then
    local ext = '{"persistedQuery":{"version":1,"sha256Hash":"' .. apq_hash .. '"}}'
    table.insert(requests, wrk.format("GET", "/graphql?extensions=" .. urlencode(ext)))
  end
  if etag and etag ~= "" then
    table.insert(requests, get("query Cloud { tagCloud(limit: 30) { name count weight level } }", nil, { ["If-None-Match"] = etag }))
  end
  local batch = '[{"query":"{ site { postCount } }"},{"query":"{ tags(first: 5) { nodes { name } } }"},{"query":"{ posts(first: 3) { nodes { title } } }"}]'
  table.insert(requests, wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json" }, batch))
  counter = math.random(#requests)
  bad_status = 0
  graphql_errors = 0
  not_modified = 0
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  if status == 304 then
    not_modified = not_modified + 1
  elseif status ~= 200 then
    bad_status = bad_status + 1
  elseif body and body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local bad, gql, n304 = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad_status")
    gql = gql + thread:get("graphql_errors")
    n304 = n304 + thread:get("not_modified")
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "load-test: %d requests in %.1f s (%.0f/s), p50 %.2f ms, p99 %.2f ms, max %.2f ms; 304s %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, n304))
  io.write(string.format(
    "load-test: errors: status %d, graphql %d, socket %d (connect %d, read %d, write %d, timeout %d)\n",
    bad, gql, socket, e.connect, e.read, e.write, e.timeout))
  local total = bad + gql + socket
  io.write(total == 0 and "load-test OK: zero errors\n" or string.format("load-test FAILED: %d errors\n", total))
end
