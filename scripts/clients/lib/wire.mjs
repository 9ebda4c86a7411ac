// Watches every GraphQL request the clients send (globalThis.fetch is replaced while the suite
// runs): records method, URL, status and answer, and checks each answer with the oracle
// against the document the client actually sent (Apollo adds __typename, Relay adds ids, …).
// Persisted-query GETs that send only a hash are matched to the query sent earlier with it.

import { checkAnswer } from './oracle.mjs';

export class Wire {
  constructor(schema) {
    this.schema = schema;
    this.exchanges = [];
    this.byHash = new Map();
    this.original = globalThis.fetch;
  }

  install() {
    globalThis.fetch = (input, init) => this.fetch(input, init);
  }

  uninstall() {
    globalThis.fetch = this.original;
  }

  /** The exchanges recorded since `mark` (an index from `this.exchanges.length`). */
  since(mark) {
    return this.exchanges.slice(mark);
  }

  async fetch(input, init = {}) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    let params = {};
    if (request.method === 'GET') {
      const get = (name) => url.searchParams.get(name);
      params = {
        query: get('query') ?? undefined,
        variables: get('variables') ? JSON.parse(get('variables')) : {},
        operationName: get('operationName') ?? undefined,
        extensions: get('extensions') ? JSON.parse(get('extensions')) : {},
      };
    } else if (request.method === 'POST') {
      params = JSON.parse(await request.clone().text());
    }
    const response = await this.original(request);
    if (!url.pathname.endsWith('/graphql') || Array.isArray(params)) {
      return response;
    }
    const hash = params.extensions?.persistedQuery?.sha256Hash;
    if (hash && params.query) {
      this.byHash.set(hash, params.query);
    }
    const query = params.query ?? (hash ? this.byHash.get(hash) : undefined);
    const text = await response.clone().text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${request.method} ${url}: not JSON (${response.status}): ${text.slice(0, 200)}`);
    }
    const exchange = {
      method: request.method,
      url: url.toString(),
      status: response.status,
      contentType: response.headers.get('content-type'),
      query,
      hashOnly: Boolean(hash && !params.query),
      variables: params.variables ?? {},
      body,
    };
    this.exchanges.push(exchange);
    const persistedMiss = body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND';
    // Introspection answers describe the server's schema, not data to check against it.
    if (query && !persistedMiss && !/__schema|__type\b/.test(query)) {
      checkAnswer(
        this.schema,
        { query, variables: params.variables, operationName: params.operationName },
        body,
        `${request.method} answer`,
      );
    }
    return response;
  }
}
