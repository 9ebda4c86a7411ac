#!/usr/bin/env node
// The client suite (issue #14): the GraphQL clients a frontend team uses, configured exactly
// as README.md's "Using it from a frontend" says (its code blocks are written into a scratch
// project, generated/project/), run against a running inkgraph:
//
//   - GraphQL Code Generator types from schema.graphql, compiled with `tsc --strict` against
//     fixtures/src/consumer.ts; its fragment-matcher gives the caches their possibleTypes;
//   - relay-compiler accepts fragments with @connection and @refetchable (fixtures/src/relay),
//     and relay-runtime runs the artifacts (link graph beside posts; paging a connection);
//   - Apollo Client 4, urql 6 + Graphcache, graphql-request 7 and graphql-ws 6 each run every
//     README example query, page `posts` to the end with their Relay helper, meet an error on
//     a non-null field (null propagation), a missing required variable (400, no data) and an
//     @include with a defaulted variable; Apollo sends persisted queries by GET;
//   - graphql-js 16 checks every answer seen on the wire against the schema (lib/oracle.mjs)
//     and that introspection matches schema.graphql;
//   - a cross-origin, browser-style preflight with tracing headers, then the request.
//
// Any client warning (missing fields, conflicting types, missing keys, heuristic fragment
// matching, normalizer warnings) fails the suite.
//
//   NODE_ENV=development node run.mjs HTTP_BASE_URL
//
// HTTP_BASE_URL is what the server logged (`http://127.0.0.1:PORT/`), serving content/.
// Exits 0 when every check passed, 1 otherwise. Driven by ../check-clients.sh.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import {
  buildClientSchema,
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  getIntrospectionQuery,
  isObjectType,
} from 'graphql';
import { checkAnswer } from './lib/oracle.mjs';
import { readmeBlocks, readmeQueries } from './lib/readme.mjs';
import { Wire } from './lib/wire.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const project = join(here, 'generated', 'project');
const relayProject = join(here, 'generated', 'relay-project');
const bin = (name) => join(here, 'node_modules', '.bin', name);

const base = process.argv[2];
if (!base) {
  console.error('usage: node run.mjs HTTP_BASE_URL');
  process.exit(2);
}
const url = new URL('graphql', base).toString();
const wsUrl = url.replace(/^http/, 'ws') + '/ws';

const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const schemaText = readFileSync(join(repo, 'schema.graphql'), 'utf8');
const schema = buildSchema(schemaText);
const wire = new Wire(schema);

// ---------------------------------------------------------------------------------------
// Running checks, capturing warnings
// ---------------------------------------------------------------------------------------

const warnings = [];
const original = { warn: console.warn, error: console.error, log: console.log };
const say = (...args) => original.log(...args);

function captureWarnings() {
  console.warn = (...args) => warnings.push(`warn: ${format(...args)}`);
  console.error = (...args) => warnings.push(`error: ${format(...args)}`);
}

class Failure extends Error {}

function expect(condition, message) {
  if (!condition) {
    throw new Failure(typeof message === 'function' ? message() : message);
  }
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  expect(a === e, () => `${what}:\n    expected ${e}\n    actual   ${a}`);
}

const results = [];

/** How long one check may take (a client looping on pages would otherwise hang the suite). */
const CHECK_TIMEOUT_MS = 90_000;
/** Most pages any loop below asks for (the sample blog has 15 posts, 4 or 5 per page). */
const MAX_PAGES = 20;

/** Runs one check; its client warnings fail it, and so does running out of time. */
async function check(name, fn) {
  const started = Date.now();
  const before = warnings.length;
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Failure(`did not finish within ${CHECK_TIMEOUT_MS / 1000} s`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    const heard = warnings.slice(before);
    if (heard.length) {
      throw new Failure(`client warnings:\n    ${heard.join('\n    ').slice(0, 4000)}`);
    }
    results.push({ name, ok: true });
    say(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    say(`FAIL  ${name} (${Date.now() - started} ms)\n    ${err?.stack ?? err}`);
  } finally {
    clearTimeout(timer);
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    ...options,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  expect(
    result.status === 0,
    () => `${command} ${args.join(' ')} exited with ${result.status}:\n${output.slice(-4000)}`,
  );
  return output;
}

/** POSTs a GraphQL request through the recording wire. */
async function post(query, variables = {}, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

// ---------------------------------------------------------------------------------------
// What every client is asked
// ---------------------------------------------------------------------------------------

/** The example: backlinks is non-null and fails, so `post` is null. */
const NON_NULL_ERROR = `query TramLine {
  post(slug: "walking-the-old-tram-line") { id title backlinks(first: 1000) { totalCount } }
}`;
const MISSING_VARIABLE = `query BySerial($s: String!) { postBySerial(serialNumber: $s) { id title } }`;
const DEFAULTED_INCLUDE = `query SiteSummary($withTitle: Boolean = true) {
  site { id title @include(if: $withTitle) postCount }
}`;
const PAGE = `query PostPage($after: String) {
  posts(first: 4, after: $after) {
    totalCount
    edges { cursor node { id title } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const GRAPH = `query Graph {
  posts(first: 100) { edges { node { id slug title tags { id slug name } } } }
  linkGraph(includeTags: true) {
    nodes { id kind label weight post { id slug title } tag { id slug name } }
    edges { source target kind }
  }
  site { id title postCount }
}`;

function expectNullPropagation(data, errors, who) {
  equal(data, { post: null }, `${who}: data of the non-null error`);
  expect(errors?.length >= 1, `${who}: no error reported`);
  equal(errors[0].path, ['post', 'backlinks'], `${who}: error path`);
  equal(errors[0].extensions?.code, 'INVALID_PAGE_SIZE', `${who}: error code`);
}

/** The last exchange on the wire since `mark` must be a 400 request error without data. */
function expectRequestErrorOnWire(mark, who) {
  const exchanges = wire.since(mark);
  expect(exchanges.length >= 1, `${who}: nothing was sent`);
  const last = exchanges[exchanges.length - 1];
  const accepts400 = /graphql-response\+json/.test(last.contentType ?? '');
  equal(last.status, accepts400 ? 400 : 200, `${who}: status of a missing variable`);
  expect(!('data' in last.body), () => `${who}: data in ${JSON.stringify(last.body)}`);
  const message = last.body.errors?.[0]?.message ?? '';
  expect(
    message.includes('"$s"') && message.includes('was not provided'),
    `${who}: message "${message}"`,
  );
  equal(last.body.errors[0].extensions?.code, 'BAD_USER_INPUT', `${who}: code`);
}

// ---------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------

const blocks = readmeBlocks(readme);
const examples = readmeQueries(readme);
/** The README examples that answer without errors. */
const succeeding = [];
let allTitles = [];
let load;

async function main() {
  captureWarnings();
  wire.install();

  await check('README: client configuration blocks and example queries are there', async () => {
    for (const path of [
      'codegen.yml',
      'src/value-types.js',
      'src/apollo.js',
      'src/apollo-pagination.js',
      'src/apollo-persisted.js',
      'src/urql.js',
      'relay.config.json',
    ]) {
      expect(blocks.has(path), `README.md has no client-suite block for ${path}`);
    }
    expect(examples.length >= 5, `only ${examples.length} example queries found in README.md`);
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    cpSync(join(here, 'fixtures'), project, {
      recursive: true,
      filter: (source) => !source.includes(join('fixtures', 'src', 'relay')),
    });
    writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
    writeFileSync(join(project, 'schema.graphql'), schemaText);
    for (const [path, code] of blocks) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), code);
    }
    load = (path) => import(pathToFileURL(join(project, path)).href);
  });

  await check('README: the value types are the object types without an id', async () => {
    const { valueTypes } = await load('src/value-types.js');
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    const withoutId = Object.values(schema.getTypeMap())
      .filter((t) => isObjectType(t) && !t.name.startsWith('__') && !roots.includes(t))
      .filter((t) => !t.getFields().id)
      .map((t) => t.name)
      .sort();
    equal([...valueTypes].sort(), withoutId, 'valueTypes in README.md vs schema.graphql');
  });

  await check('graphql-js 16: introspection is schema.graphql; README examples validate', async () => {
    const { body } = await post(getIntrospectionQuery({ specifiedByUrl: true }));
    const served = buildClientSchema(body.data);
    for (const [from, to] of [
      [schema, served],
      [served, schema],
    ]) {
      // Built-in directives differ in their locations between servers; types must not.
      const changes = [...findBreakingChanges(from, to), ...findDangerousChanges(from, to)].filter(
        (change) => !change.type.startsWith('DIRECTIVE_'),
      );
      expect(!changes.length, () => `schema.graphql and introspection differ: ${JSON.stringify(changes)}`);
    }
    for (const name of ['DateTime', 'JSON']) {
      expect(served.getType(name).specifiedByURL, `${name} has no @specifiedBy`);
    }
    // Every example answers as the schema says; the clients then run those that succeed
    // (the README also shows errors on purpose).
    for (const example of examples) {
      const { status, body: answer } = await post(example.query, example.variables);
      equal(status, 200, `README example ${example.query}`);
      checkAnswer(schema, example, answer, `README example (${example.label})`);
      if (!answer.errors) {
        succeeding.push(example);
      }
    }
    expect(succeeding.length >= 4, `only ${succeeding.length} README examples succeed`);
    const { body: titles } = await post('{ posts(first: 100) { totalCount nodes { title } } }');
    allTitles = titles.data.posts.nodes.map((n) => n.title);
    equal(allTitles.length, titles.data.posts.totalCount, 'one page holds every post');
  });

  await check('GraphQL Code Generator: README codegen.yml; tsc --strict compiles a consumer', async () => {
    run(process.execPath, [join(here, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', 'codegen.yml']);
    const possible = JSON.parse(readFileSync(join(project, 'src/gql/possible-types.json'), 'utf8'));
    equal(possible.possibleTypes?.Node?.slice().sort(), ['Post', 'Tag'], 'possibleTypes.Node');
    run(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--strict']);
  });

  await check('relay-compiler: README relay.config.json; @connection and @refetchable fragments', async () => {
    // A Relay project of its own: relay.config.json, the schema and the fragments.
    rmSync(relayProject, { recursive: true, force: true });
    mkdirSync(join(relayProject, 'src'), { recursive: true });
    writeFileSync(join(relayProject, 'package.json'), '{ "private": true, "type": "module" }\n');
    writeFileSync(join(relayProject, 'schema.graphql'), schemaText);
    writeFileSync(join(relayProject, 'relay.config.json'), blocks.get('relay.config.json'));
    cpSync(join(here, 'fixtures', 'src', 'relay'), join(relayProject, 'src', 'relay'), { recursive: true });
    const output = run(bin('relay-compiler'), [], { cwd: relayProject });
    expect(!/\[(WARN|ERROR)\]/.test(output), () => `relay-compiler warned:\n${output}`);
    // The artifacts are ES modules importing each other without an extension, as bundlers
    // resolve them; Node needs the `.js` spelled out to run them here.
    const generated = join(relayProject, 'src', 'relay', '__generated__');
    for (const file of readdirSync(generated)) {
      const path = join(generated, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.\/[^']+\.graphql)'/g, "$1.js'"));
    }
  });

  await check('Apollo Client 4: README examples, null propagation, variables, pages, graph', async () => {
    const { loadDevMessages, loadErrorMessages } = await import('@apollo/client/dev');
    loadDevMessages();
    loadErrorMessages();
    const { gql } = await import('@apollo/client');
    const { makeApolloClient } = await load('src/apollo.js');
    const { allPostTitles } = await load('src/apollo-pagination.js');
    const client = makeApolloClient(url);
    for (const example of succeeding) {
      const { data } = await client.query({ query: gql(example.query), variables: example.variables });
      expect(data, `Apollo: no data for ${example.query}`);
    }
    const failed = await client.query({ query: gql(NON_NULL_ERROR), errorPolicy: 'all' });
    expectNullPropagation(failed.data, failed.error?.errors, 'Apollo');

    const mark = wire.exchanges.length;
    const missing = await client
      .query({ query: gql(MISSING_VARIABLE), variables: {}, errorPolicy: 'all' })
      .catch((error) => ({ error }));
    expect(missing.error && !missing.data, 'Apollo: a missing variable is an error without data');
    expectRequestErrorOnWire(mark, 'Apollo');

    const summary = await client.query({ query: gql(DEFAULTED_INCLUDE) });
    equal(summary.data.site.title, 'Isobar & Ink', 'Apollo: @include with the default');

    equal(await allPostTitles(client), allTitles, 'Apollo: fetchMore + relayStylePagination to the end');

    const graph = await client.query({ query: gql(GRAPH) });
    const node = graph.data.linkGraph.nodes[0];
    expect(
      client.cache.identify(node) !== client.cache.identify(node.post),
      'Apollo: a graph node and its post are one cache record',
    );
  });

  await check('Apollo Client 4: persisted queries by GET (README link)', async () => {
    const { gql } = await import('@apollo/client');
    const { makeApolloClient } = await load('src/apollo.js');
    const { persistedLink } = await load('src/apollo-persisted.js');
    const client = makeApolloClient(url, persistedLink(url));
    // A query this server has not seen yet, whatever ran before.
    const query = gql(`query PersistedSite${Date.now()} { site { id title postCount } }`);
    const mark = wire.exchanges.length;
    const first = await client.query({ query, fetchPolicy: 'network-only' });
    const second = await client.query({ query, fetchPolicy: 'network-only' });
    equal(second.data, first.data, 'Apollo persisted: the same answer twice');
    const exchanges = wire.since(mark);
    const codes = exchanges.map((e) => e.body.errors?.[0]?.extensions?.code ?? 'data');
    equal(
      exchanges.map((e) => `${e.method} ${e.hashOnly ? 'hash' : 'query+hash'} ${codes.shift()}`),
      // Apollo resends the query by POST after a miss; afterwards the hash alone, by GET.
      ['GET hash PERSISTED_QUERY_NOT_FOUND', 'POST query+hash data', 'GET hash data'],
      'Apollo persisted: what went over the wire',
    );
  });

  await check('urql 6 + Graphcache: README examples, null propagation, variables, pages, graph', async () => {
    const { gql } = await import('@urql/core');
    const { makeUrqlClient } = await load('src/urql.js');
    const client = makeUrqlClient(url);
    for (const example of succeeding) {
      const result = await client.query(gql(example.query), example.variables).toPromise();
      expect(result.data && !result.error, () => `urql: ${example.query}: ${result.error}`);
    }
    const failed = await client.query(gql(NON_NULL_ERROR), {}).toPromise();
    expectNullPropagation(failed.data, failed.error?.graphQLErrors, 'urql');

    const mark = wire.exchanges.length;
    const missing = await client.query(gql(MISSING_VARIABLE), {}).toPromise();
    expect(missing.error && !missing.data, 'urql: a missing variable is an error without data');
    expectRequestErrorOnWire(mark, 'urql');

    const summary = await client.query(gql(DEFAULTED_INCLUDE), {}).toPromise();
    equal(summary.data?.site?.title, 'Isobar & Ink', 'urql: @include with the default');

    let after = null;
    let page;
    let pages = 0;
    do {
      expect(++pages <= MAX_PAGES, 'urql: too many pages');
      page = await client.query(gql(PAGE), { after }).toPromise();
      expect(page.data, () => `urql: page after ${after}: ${page.error}`);
      after = page.data.posts.pageInfo.endCursor;
    } while (page.data.posts.pageInfo.hasNextPage);
    equal(
      page.data.posts.edges.map((e) => e.node.title),
      allTitles,
      'urql: relayPagination merges every page',
    );

    const graph = await client.query(gql(GRAPH), {}).toPromise();
    expect(
      graph.data && !graph.error,
      () => `urql: graph: ${graph.error} ${JSON.stringify(graph.data)} ${JSON.stringify(graph.operation.context.meta)}`,
    );
  });

  await check('graphql-request 7: README examples, null propagation, variables, pages', async () => {
    const { ClientError, GraphQLClient } = await import('graphql-request');
    const client = new GraphQLClient(url);
    for (const example of succeeding) {
      await client.request(example.query, example.variables);
    }
    const failed = await client.request(NON_NULL_ERROR).then(
      () => undefined,
      (error) => error,
    );
    expect(failed instanceof ClientError, `graphql-request: ${failed}`);
    expectNullPropagation(failed.response.data, failed.response.errors, 'graphql-request');

    const mark = wire.exchanges.length;
    const missing = await client.request(MISSING_VARIABLE, {}).then(
      () => undefined,
      (error) => error,
    );
    expect(missing instanceof ClientError, `graphql-request: ${missing}`);
    equal(missing.response.status, 400, 'graphql-request: status of a missing variable');
    expect(missing.response.data === undefined, 'graphql-request: no data');
    expectRequestErrorOnWire(mark, 'graphql-request');

    const summary = await client.request(DEFAULTED_INCLUDE);
    equal(summary.site.title, 'Isobar & Ink', 'graphql-request: @include with the default');

    const titles = [];
    let after = null;
    let page;
    let pages = 0;
    do {
      expect(++pages <= MAX_PAGES, 'graphql-request: too many pages');
      page = await client.request(PAGE, { after });
      titles.push(...page.posts.edges.map((e) => e.node.title));
      after = page.posts.pageInfo.endCursor;
    } while (page.posts.pageInfo.hasNextPage);
    equal(titles, allTitles, 'graphql-request: every page in order');
  });

  await check('graphql-ws 6: README examples, null propagation, missing variable', async () => {
    const { createClient } = await import('graphql-ws');
    const { default: WebSocket } = await import('ws');
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const once = (payload) =>
      new Promise((resolveResult) => {
        let result;
        client.subscribe(payload, {
          next: (value) => (result = value),
          error: (error) => resolveResult({ error }),
          complete: () => resolveResult(result),
        });
      });
    try {
      for (const example of succeeding) {
        const result = await once({ query: example.query, variables: example.variables });
        checkAnswer(schema, example, result, 'graphql-ws');
        expect(!result.errors, () => `graphql-ws: ${JSON.stringify(result)}`);
      }
      const failed = await once({ query: NON_NULL_ERROR });
      checkAnswer(schema, { query: NON_NULL_ERROR }, failed, 'graphql-ws');
      expectNullPropagation(failed.data, failed.errors, 'graphql-ws');
      const missing = await once({ query: MISSING_VARIABLE, variables: {} });
      const errors = missing.error ?? missing.errors;
      expect(Array.isArray(errors) && !missing.data, () => `graphql-ws: ${JSON.stringify(missing)}`);
      expect(/was not provided/.test(errors[0].message), 'graphql-ws: the message');
      const summary = await once({ query: DEFAULTED_INCLUDE });
      equal(summary.data.site.title, 'Isobar & Ink', 'graphql-ws: @include with the default');
    } finally {
      await client.dispose();
    }
  });

  await check('relay-runtime: the link graph beside posts normalizes; a connection pages to the end', async () => {
    const relay = await import('relay-runtime');
    const { Environment, Network, RecordSource, Store, createOperationDescriptor, fetchQuery, getSelector } =
      relay.default ?? relay;
    const artifact = async (name) =>
      (await import(pathToFileURL(join(relayProject, 'src/relay/__generated__', `${name}.graphql.js`)).href))
        .default;
    const network = Network.create(async (operation, variables) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: operation.text, variables }),
      });
      return response.json();
    });
    const environment = new Environment({ network, store: new Store(new RecordSource()) });

    const graph = await artifact('BlogGraphQuery');
    const data = await fetchQuery(environment, graph, {}).toPromise();
    expect(data.linkGraph.nodes.length > 0, 'Relay: an empty graph');

    const query = await artifact('BlogPostsQuery');
    const fragment = await artifact('Blog_posts');
    const pagination = await artifact('BlogPostsPaginationQuery');
    const operation = createOperationDescriptor(query, {});
    environment.retain(operation);
    await fetchQuery(environment, query, {}).toPromise();
    const root = environment.lookup(operation.fragment).data;
    const selector = getSelector(fragment, root);
    let posts = environment.lookup(selector).data.posts;
    for (let pages = 1; posts.pageInfo.hasNextPage; pages += 1) {
      expect(pages <= MAX_PAGES, 'Relay: too many pages');
      const more = createOperationDescriptor(pagination, { count: 5, cursor: posts.pageInfo.endCursor });
      environment.retain(more);
      await fetchQuery(environment, pagination, more.request.variables).toPromise();
      posts = environment.lookup(selector).data.posts;
    }
    equal(posts.edges.map((e) => e.node.title), allTitles, 'Relay: @connection pages merged');
  });

  await check('browser: a cross-origin preflight with tracing headers, then the request', async () => {
    const tracing = [
      'content-type',
      'apollographql-client-name',
      'apollographql-client-version',
      'traceparent',
      'tracestate',
      'sentry-trace',
      'baggage',
    ];
    const origin = 'https://frontend.example';
    const preflight = await raw('OPTIONS', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': tracing.join(','),
    });
    expect(preflight.status >= 200 && preflight.status < 300, `preflight status ${preflight.status}`);
    const allowOrigin = preflight.headers['access-control-allow-origin'];
    expect(allowOrigin === '*' || allowOrigin === origin, `Access-Control-Allow-Origin: ${allowOrigin}`);
    const allowed = (preflight.headers['access-control-allow-headers'] ?? '').toLowerCase();
    for (const name of tracing) {
      expect(allowed.split(/\s*,\s*/).includes(name), `preflight does not allow ${name}: ${allowed}`);
    }
    expect(/POST/.test(preflight.headers['access-control-allow-methods'] ?? ''), 'POST not allowed');
    const answer = await raw(
      'POST',
      {
        origin,
        'content-type': 'application/json',
        'apollographql-client-name': 'web',
        'apollographql-client-version': '1.2.3',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'vendor=1',
        'sentry-trace': '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
        baggage: 'sentry-environment=test',
      },
      JSON.stringify({ query: '{ site { title } }' }),
    );
    equal(answer.status, 200, 'the request after the preflight');
    expect(answer.headers['access-control-allow-origin'], 'no Access-Control-Allow-Origin');
    equal(JSON.parse(answer.body).data.site.title, 'Isobar & Ink', 'the answer');
  });

  await check('every answer on the wire kept the schema (graphql-js oracle)', async () => {
    expect(wire.exchanges.length > 40, `only ${wire.exchanges.length} answers seen`);
  });

  wire.uninstall();
  Object.assign(console, original);
  const failed = results.filter((r) => !r.ok);
  say(`\n${results.length - failed.length}/${results.length} checks passed; ${wire.exchanges.length} answers checked against the schema`);
  process.exit(failed.length ? 1 : 0);
}

/** One HTTP request as a browser would send it (Node's fetch would add its own headers). */
function raw(method, headers, body) {
  return new Promise((resolveAnswer, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () =>
        resolveAnswer({ status: response.statusCode, headers: response.headers, body: text }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

main().catch((err) => {
  Object.assign(console, original);
  console.error(err);
  process.exit(1);
});
