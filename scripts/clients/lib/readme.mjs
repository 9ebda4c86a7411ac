// What the client suite reads from the README: the code blocks of "Using it from a frontend"
// (each after a `<!-- client-suite: PATH -->` marker, written to PATH in the scratch project
// exactly as the README shows them), and every example query (curl `-d` bodies, `--data-urlencode
// 'query=…'` parameters, and inline code spans that are GraphQL operations).

import { Kind, parse } from 'graphql';

/** Map of project path → code, from `<!-- client-suite: PATH -->` + a fenced block. */
export function readmeBlocks(readme) {
  const blocks = new Map();
  const marker = /<!-- client-suite: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;
  for (const [, path, code] of readme.matchAll(marker)) {
    if (blocks.has(path)) {
      throw new Error(`README.md: two client-suite blocks for ${path}`);
    }
    blocks.set(path, `${code}\n`);
  }
  return blocks;
}

/** Whether `text` is a GraphQL document of operations only. */
function isOperation(text) {
  try {
    const document = parse(text);
    return document.definitions.every(
      (d) => d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION,
    );
  } catch {
    return false;
  }
}

/**
 * Every example query of the README: `{label, query, variables}`, deduplicated. Subscriptions
 * are left out (they need a change to answer).
 */
export function readmeQueries(readme) {
  const found = new Map();
  const add = (label, query, variables = {}) => {
    const key = `${query}\u0000${JSON.stringify(variables)}`;
    if (!found.has(key) && isOperation(query) && !/^\s*subscription\b/.test(query)) {
      found.set(key, { label, query, variables });
    }
  };
  for (const [, body] of readme.matchAll(/ -d '(\{[^']*\})'/g)) {
    const parsed = JSON.parse(body);
    add('curl -d', parsed.query, parsed.variables ?? {});
  }
  for (const [, query] of readme.matchAll(/--data-urlencode 'query=([^']*)'/g)) {
    add('curl --data-urlencode', query);
  }
  // Inline code spans that hold a whole operation (they may wrap across lines).
  for (const [, span] of readme.matchAll(/`((?:\{ |query[ ($])[^`]*)`/g)) {
    add('inline', span.replace(/\s*\n\s*/g, ' '));
  }
  return [...found.values()];
}
