"use strict";
// Compiles a query for the package's engine, fixed for collections of tens of thousands of documents.
// The engine generates JavaScript that first wraps every document of the FROM source in a row object with
// reduce((rows, doc) => [...rows, { c: doc }]): it copies the array once per document, quadratic work that
// took seconds for 12,000 documents and minutes for 30,000. That one step is rewritten to filter + map
// (same rows, same order); every other part of the generated code, and the engine that runs it, is kept.
// Where the pattern is not found (another package version) the code runs unchanged: slower, never wrong.
// The helper that strips undefined values from every result is quadratic in the same way (and runs on
// every page, since pages are cut from the whole result): it is replaced by a linear one, same output.
const { cosmosQuery, queryExecutor, queryHelpers } = require("./package");
const { equalities } = require("./prefilter");

/** Drops undefined array elements and undefined-valued properties, recursively, as the package's helper does. */
function stripUndefined(value) {
  if (Array.isArray(value)) {
    const kept = [];
    for (const element of value) {
      if (typeof element !== "undefined") kept.push(stripUndefined(element));
    }
    return kept;
  }
  if (value && typeof value === "object") {
    const kept = {};
    for (const [key, property] of Object.entries(value)) {
      if (typeof property !== "undefined") kept[key] = stripUndefined(property);
    }
    return kept;
  }
  return value;
}

queryHelpers.stripUndefined = stripUndefined;

const QUADRATIC_SOURCE = /\$c\.reduce\(\(\$, (\w+)\) => typeof \1 !== "undefined" \? \[\.\.\.\$, \{\s*(\w+): \1\s*\}\] : \$, \[\]\)/;

/**
 * Parses and generates a query once: exec(docs, options) runs it as the package's Query.exec does; pins are its
 * pinned equalities (see prefilter); linear tells whether the quadratic source step was rewritten.
 */
function compile(sql) {
  const parsed = cosmosQuery(sql);
  const generated = parsed.code;
  const code = generated.replace(QUADRATIC_SOURCE, '$c.filter($1 => typeof $1 !== "undefined").map($1 => ({ $2: $1 }))');
  return {
    pins: equalities(parsed.ast),
    linear: code !== generated,
    exec: (docs, options) => queryExecutor(docs, { ...options, code })
  };
}

module.exports = { compile, stripUndefined };
