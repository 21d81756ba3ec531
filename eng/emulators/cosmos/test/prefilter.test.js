"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const cosmosQuery = require("@zeit/cosmosdb-query").default;
const { equalities, equalityFilter } = require("../lib/prefilter");

const docs = [
  { id: "1", docType: "snapshot", isActive: true, terms: { catalogId: "cat", category: "x" }, n: 1 },
  { id: "2", docType: "snapshot", isActive: false, terms: { catalogId: "cat", category: "x" }, n: 2 },
  { id: "3", docType: "audit", terms: { catalogId: "cat" }, n: null },
  { id: "4", docType: "snapshot", isActive: true, terms: { catalogId: "other", category: "x" }, n: "1" },
  { id: "5", docType: "snapshot", isActive: true, terms: null, tags: ["a"] }
];

/** Runs a query with and without the pre-filter: the results must be the same. */
function both(sql, parameters = []) {
  const query = cosmosQuery(sql);
  const keep = equalityFilter(equalities(query.ast), parameters);
  const full = query.exec(docs, { parameters }).result;
  const filtered = query.exec(keep ? docs.filter(keep) : docs, { parameters }).result;
  return { full, filtered, kept: keep ? docs.filter(keep).map(d => d.id) : null };
}

test("pins conjunctions of parameters and constants on nested paths", () => {
  const { full, filtered, kept } = both(
    "SELECT * FROM c WHERE c.docType = @type AND c.isActive = true AND c.terms.catalogId = @catalog AND c.terms.category = @category AND c.id != @exclude",
    [{ name: "@type", value: "snapshot" }, { name: "@catalog", value: "cat" }, { name: "@category", value: "x" }, { name: "@exclude", value: "9" }]
  );
  assert.deepEqual(kept, ["1"]);
  assert.deepEqual(filtered, full);
});

test("keeps what the engine would keep for reversed, bracketed, aliased and null equalities", () => {
  for (const sql of [
    "SELECT * FROM c WHERE 'snapshot' = c.docType",
    'SELECT * FROM c WHERE c["docType"] = "audit"',
    "SELECT * FROM root r WHERE r.docType = 'snapshot' ORDER BY r.id",
    "SELECT * FROM c WHERE c.n = null",
    "SELECT * FROM c WHERE c.n = 1",
    "SELECT VALUE t FROM c JOIN t IN c.tags WHERE c.docType = 'snapshot'"
  ]) {
    const { full, filtered, kept } = both(sql);
    assert.notEqual(kept, null, sql);
    assert.deepEqual(filtered, full, sql);
  }
});

test("pins nothing under OR, NOT, other operators, object values or other sources", () => {
  for (const [sql, parameters] of [
    ["SELECT * FROM c WHERE c.docType = 'audit' OR c.n = 2", []],
    ["SELECT * FROM c WHERE NOT (c.docType = 'audit')", []],
    ["SELECT * FROM c WHERE c.docType != 'audit'", []],
    ["SELECT * FROM c WHERE c.terms = @terms", [{ name: "@terms", value: { catalogId: "cat" } }]],
    ["SELECT * FROM c.terms t WHERE t.catalogId = 'cat'", []],
    ["SELECT * FROM c", []]
  ]) {
    const { full, filtered, kept } = both(sql, parameters);
    assert.equal(kept, null, sql);
    assert.deepEqual(filtered, full, sql);
  }
});

test("a parameter the request does not carry is left to the engine", () => {
  const { full, filtered, kept } = both("SELECT * FROM c WHERE c.docType = @missing");
  assert.equal(kept, null);
  assert.deepEqual(filtered, full);
});
