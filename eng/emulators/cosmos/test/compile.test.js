"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const cosmosQuery = require("@zeit/cosmosdb-query").default;
const { compile, stripUndefined } = require("../lib/compile");

const docs = Array.from({ length: 50 }, (_, i) => ({
  id: `d${i}`,
  _rid: `rid${String(i).padStart(3, "0")}`,
  docType: i % 3 === 0 ? "snapshot" : "audit",
  sortKey: (i * 7) % 50,
  memberIds: [`p${i % 4}`],
  tags: i % 5 === 0 ? ["a", "b"] : undefined
}));

const queries = [
  ["SELECT * FROM c", []],
  ["SELECT * FROM c WHERE c.docType = @type", [{ name: "@type", value: "snapshot" }]],
  ["SELECT TOP @top * FROM c WHERE c.docType = 'audit' ORDER BY c.sortKey", [{ name: "@top", value: 5 }]],
  ["SELECT * FROM root r WHERE r.sortKey > 10 ORDER BY r.sortKey DESC", []],
  ["SELECT c.id FROM c WHERE ARRAY_CONTAINS(c.memberIds, @p) ORDER BY c.id", [{ name: "@p", value: "p1" }]],
  ["SELECT VALUE t FROM c JOIN t IN c.tags", []],
  ["SELECT VALUE COUNT(1) FROM c", []]
];

test("gives the package engine's results for every query shape", () => {
  for (const [sql, parameters] of queries) {
    assert.deepEqual(compile(sql).exec(docs, { parameters }).result, cosmosQuery(sql).exec(docs, { parameters }).result, sql);
  }
});

test("rewrites the quadratic source step of the shapes the app sends", () => {
  for (const [sql] of queries) {
    assert.equal(compile(sql).linear, true, sql);
  }
});

test("runs a query over 30,000 documents in linear time", () => {
  const many = Array.from({ length: 30000 }, (_, i) => ({ id: `d${i}`, _rid: `r${String(i).padStart(6, "0")}`, docType: i % 9 ? "audit" : "snapshot" }));
  const started = process.hrtime.bigint();
  const { result } = compile("SELECT * FROM c WHERE c.docType = 'snapshot'").exec(many, {});
  // The quadratic step alone took minutes here; linear, it takes tens of milliseconds even on a loaded machine.
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000);
  assert.equal(result.length, 3334);
});

test("strips undefined values as the package's helper did", () => {
  const value = { a: 1, b: undefined, c: [1, undefined, { d: undefined, e: null }], f: { g: [undefined] } };
  assert.deepEqual(stripUndefined(value), { a: 1, c: [1, { e: null }], f: { g: [] } });
  assert.equal(stripUndefined("x"), "x");
  assert.equal(stripUndefined(null), null);
});

test("returns 30,000 documents in linear time", () => {
  const many = Array.from({ length: 30000 }, (_, i) => ({ id: `d${i}`, _rid: `r${String(i).padStart(6, "0")}`, nested: { list: [i, undefined] } }));
  const started = process.hrtime.bigint();
  const { result } = compile("SELECT * FROM c").exec(many, {});
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000);
  assert.equal(result.length, 30000);
  assert.deepEqual(result[29999].nested.list, [29999]);
});
