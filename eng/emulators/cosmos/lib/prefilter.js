"use strict";
// Equality pre-filter for queries. The package's query engine evaluates the whole WHERE clause on every
// document of the collection; a cross-partition query over tens of thousands of documents then costs the
// stand-in's only thread seconds. Most queries are conjunctions that pin a few properties to a parameter
// or a constant (c.docType = @type AND ...): a document whose property is not exactly that value can never
// match, so it is dropped with a cheap lookup before the engine runs. The engine still evaluates the full
// clause on what is left, so results do not change.

const CONSTANTS = new Set(["string_constant", "number_constant", "boolean_constant", "null_constant"]);

/** The alias rows of the root collection go by, or null when the query reads from something else. */
function rootAlias(ast) {
  const source = ast.body && ast.body.from && ast.body.from.source;
  if (!source || source.expression.type !== "collection_expression" || source.expression.expression.type !== "identifier") {
    return null;
  }
  return (source.alias || source.expression.expression).name;
}

/** The property path of a member expression on the root alias (c.a.b, c["a"]), or null. */
function memberPath(node, alias) {
  const path = [];
  while (node.type === "scalar_member_expression") {
    const { property } = node;
    if (node.computed ? property.type !== "string_constant" : property.type !== "identifier") return null;
    path.unshift(node.computed ? property.value : property.name);
    node = node.object;
  }
  return node.type === "identifier" && node.name === alias && path.length > 0 ? path : null;
}

/** The top-level AND operands of a condition. */
function conjuncts(node, into = []) {
  if (node.type === "scalar_binary_expression" && node.operator === "AND") {
    conjuncts(node.left, into);
    conjuncts(node.right, into);
  } else {
    into.push(node);
  }
  return into;
}

/** A pinned side of an equality: { constant } or { parameter }, else null. */
function pinned(node) {
  if (CONSTANTS.has(node.type)) return { constant: node.type === "null_constant" ? null : node.value };
  if (node.type === "parameter_name") return { parameter: node.name };
  return null;
}

/**
 * The equalities of a parsed query that every result must satisfy: [{ path, constant | parameter }].
 * Computed once per compiled query.
 */
function equalities(ast) {
  const alias = rootAlias(ast);
  const where = ast.body && ast.body.where;
  if (!alias || !where) return [];
  const found = [];
  for (const node of conjuncts(where.condition)) {
    if (node.type !== "scalar_binary_expression" || node.operator !== "=") continue;
    for (const [member, value] of [[node.left, node.right], [node.right, node.left]]) {
      const path = memberPath(member, alias);
      const pin = path && pinned(value);
      if (pin) {
        found.push({ path, ...pin });
        break;
      }
    }
  }
  return found;
}

/** A primitive JSON value: compared with ===, exactly as Cosmos DB's = compares two values of one type. */
const isPrimitive = value => value === null || ["string", "number", "boolean"].includes(typeof value);

/**
 * A predicate keeping only documents that satisfy the query's pinned equalities for these parameters, or
 * null when there is nothing to pin (an object or array value is left to the engine).
 */
function equalityFilter(pins, parameters) {
  const byName = new Map((parameters || []).map(p => [p.name, p.value]));
  const checks = [];
  for (const pin of pins) {
    const value = "parameter" in pin ? byName.get(pin.parameter) : pin.constant;
    if (!isPrimitive(value)) continue;
    checks.push({ path: pin.path, value });
  }
  if (checks.length === 0) return null;
  return doc => checks.every(({ path, value }) => {
    let node = doc;
    for (const key of path) {
      if (node === null || typeof node !== "object") return false;
      node = node[key];
    }
    return node === value;
  });
}

module.exports = { equalities, equalityFilter };
