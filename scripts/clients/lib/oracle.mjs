// The schema's promises, checked on every answer the suite sees with graphql-js 16: the
// answer's `data` is executed again as the root value of the same operation over
// schema.graphql, reading each field by its response key. graphql-js then raises exactly what
// would break generated types and normalized caches: a selected key that is missing, a null in
// a non-null position (an error that did not propagate), a value of the wrong type, a field
// that should have been skipped (or not) by @skip/@include with the variables' defaults. And
// every error must carry `extensions.code`.

import { GraphQLError, execute, parse, validate } from 'graphql';

const MISSING = Symbol('missing');

/** Reads the field by its response key; a missing key is an error. */
function fieldResolver(source, _args, _context, info) {
  if (source === null || typeof source !== 'object') {
    throw new GraphQLError(`not an object at ${pathOf(info.path)}`);
  }
  const key = info.path.key;
  const value = Object.hasOwn(source, key) ? source[key] : MISSING;
  if (value === MISSING) {
    throw new GraphQLError(`the answer has no key "${key}" at ${pathOf(info.path)}`);
  }
  return value;
}

function typeResolver(value, _context, info, abstractType) {
  if (value && typeof value.__typename === 'string') {
    return value.__typename;
  }
  throw new GraphQLError(
    `cannot tell the type of ${pathOf(info.path)} (${abstractType.name}): select __typename`,
  );
}

function pathOf(path) {
  const parts = [];
  for (let p = path; p; p = p.prev) {
    parts.unshift(p.key);
  }
  return parts.join('.');
}

/** Removes the keys graphql-js would add back in another order: compares as data. */
function canonical(value) {
  return JSON.parse(JSON.stringify(value));
}

/**
 * Throws when `body` (a GraphQL response) breaks the schema for the request (`query`,
 * `variables`, `operationName`; graphql-js applies the variables' defaults).
 * Returns the kind of answer: "data", "request-error" or "null-data".
 */
export function checkAnswer(schema, { query, variables, operationName }, body, label) {
  const where = `${label}: ${query.replace(/\s+/g, ' ').slice(0, 160)}`;
  if (typeof body !== 'object' || body === null) {
    throw new Error(`${where}\n  not a GraphQL response: ${JSON.stringify(body)}`);
  }
  for (const error of body.errors ?? []) {
    if (typeof error?.extensions?.code !== 'string') {
      throw new Error(`${where}\n  an error without extensions.code: ${JSON.stringify(error)}`);
    }
  }
  if (!('data' in body)) {
    if (!body.errors?.length) {
      throw new Error(`${where}\n  neither data nor errors: ${JSON.stringify(body)}`);
    }
    return 'request-error';
  }
  if (body.data === null) {
    if (!body.errors?.length) {
      throw new Error(`${where}\n  data is null without an error`);
    }
    return 'null-data';
  }
  const document = parse(query);
  const invalid = validate(schema, document);
  if (invalid.length) {
    throw new Error(`${where}\n  does not validate: ${invalid.map((e) => e.message).join('; ')}`);
  }
  const result = execute({
    schema,
    document,
    rootValue: body.data,
    variableValues: variables ?? {},
    operationName: operationName ?? undefined,
    fieldResolver,
    typeResolver,
  });
  if (result.errors?.length) {
    throw new Error(
      `${where}\n  the answer breaks the schema:\n    ${result.errors
        .map((e) => `${e.message} (at ${e.path?.join('.')})`)
        .join('\n    ')}\n  answer: ${JSON.stringify(body).slice(0, 800)}`,
    );
  }
  const expected = JSON.stringify(canonical(result.data));
  const actual = JSON.stringify(canonical(body.data));
  if (expected !== actual) {
    throw new Error(
      `${where}\n  the answer holds other keys than the selection:\n    expected ${expected.slice(0, 600)}\n    actual   ${actual.slice(0, 600)}`,
    );
  }
  return 'data';
}
