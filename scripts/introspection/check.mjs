#!/usr/bin/env node
// Checks that graphql-js, the reference GraphQL implementation that most clients
// (GraphiQL, Apollo, Relay, graphql-codegen) build on, accepts the schema inkgraph
// reports through introspection.
//
//   node check.mjs --print-query   prints the introspection query to send
//   node check.mjs RESULT.json     checks the server's JSON response to that query
//
// Exits 0 and prints "introspection OK" when the schema builds and validates, 1 otherwise.
// Driven by ../check-introspection.sh.

import { readFileSync } from 'node:fs';
import {
  assertValidSchema,
  buildClientSchema,
  getIntrospectionQuery,
  version,
} from 'graphql';

// Ask for everything graphql-js 16 can ask for, as GraphiQL does, so a field the server
// cannot answer shows up here rather than in a user's client.
const INTROSPECTION_OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

function fail(message) {
  console.error(`introspection FAILED: ${message}`);
  process.exit(1);
}

const [arg] = process.argv.slice(2);

if (arg === '--print-query') {
  process.stdout.write(`${getIntrospectionQuery(INTROSPECTION_OPTIONS)}\n`);
  process.exit(0);
}

if (!arg || arg.startsWith('-')) {
  console.error('usage: node check.mjs --print-query | node check.mjs RESULT.json');
  process.exit(2);
}

let result;
try {
  result = JSON.parse(readFileSync(arg, 'utf8'));
} catch (err) {
  fail(`cannot read ${arg} as JSON: ${err.message}`);
}

if (Array.isArray(result?.errors) && result.errors.length > 0) {
  fail(`the server answered with errors:\n${JSON.stringify(result.errors, null, 2)}`);
}
if (!result?.data?.__schema) {
  fail(`the response has no data.__schema: ${JSON.stringify(result).slice(0, 500)}`);
}

let schema;
try {
  schema = buildClientSchema(result.data);
} catch (err) {
  fail(`buildClientSchema rejected the introspection result: ${err.message}`);
}
try {
  assertValidSchema(schema);
} catch (err) {
  fail(`the schema is invalid:\n${err.message}`);
}

const names = Object.keys(schema.getTypeMap());
const own = names.filter((name) => !name.startsWith('__'));
const queryType = schema.getQueryType();
if (!queryType) {
  fail('the schema has no query type');
}
console.log(
  `introspection OK: ${names.length} types (${own.length} excluding introspection types), ` +
    `${Object.keys(queryType.getFields()).length} root query fields, ` +
    `${schema.getDirectives().length} directives (graphql-js ${version})`,
);
