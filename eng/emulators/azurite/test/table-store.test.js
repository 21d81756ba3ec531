"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { patchTableStore, pinnedPartitionKey, STORE_MODULE } = require("../lib/table-store");

const Store = require(STORE_MODULE).default;
class PatchedStore extends Store {}
patchTableStore(PatchedStore);

const ACCOUNT = "devstoreaccount1";
const TABLE = "hubHistory";
const CONTEXT = { contextID: "table-store-test" };

async function open(StoreClass, entities) {
  const store = new StoreClass(`table-store-test-${StoreClass.name}.json`, true);
  await store.init();
  await store.createTable(CONTEXT, { account: ACCOUNT, table: TABLE });
  for (const entity of entities) {
    await store.insertTableEntity(CONTEXT, TABLE, ACCOUNT, structuredClone(entity), "");
  }
  return store;
}

function entity(partition, row, properties = {}) {
  const PartitionKey = `instance-${partition}`;
  const RowKey = String(row).padStart(16, "0");
  return { PartitionKey, RowKey, properties: { PartitionKey, RowKey, ...properties }, lastModifiedTime: new Date(0).toISOString(), eTag: `"${partition}-${row}"` };
}

// Inserted out of key order, so ordering comes from the query, not from insertion.
const entities = [];
for (let row = 0; row < 12; row += 1) {
  for (const partition of [3, 1, 2]) {
    entities.push(entity(partition, row, { ExecutionId: row < 6 ? "first" : "second", Sequence: row }));
  }
}
entities.push(entity(1, "sentinel", { ExecutionId: "second" }));

async function queryAll(store, queryOptions) {
  const pages = [];
  let next = [undefined, undefined];
  do {
    const [rows, partitionKey, rowKey] = await store.queryTableEntities(CONTEXT, ACCOUNT, TABLE, queryOptions, ...next);
    pages.push(rows.map(r => `${r.PartitionKey}/${r.RowKey}`));
    next = [partitionKey, rowKey];
  } while (next[0] !== undefined);
  return pages;
}

const filters = [
  "PartitionKey eq 'instance-1'",
  "PartitionKey eq 'instance-2' and (RowKey eq 'sentinel' or ExecutionId eq 'second')",
  "PartitionKey eq 'instance-1' and (RowKey eq 'sentinel' or ExecutionId eq 'second')",
  "(ExecutionId eq 'first') and PartitionKey eq 'instance-3' and Sequence ge 2",
  "PartitionKey eq 'instance-1' and PartitionKey eq 'instance-2'",
  "PartitionKey eq 'instance-9'",
  "PartitionKey eq 'instance-1' or PartitionKey eq 'instance-2'",
  "not (PartitionKey eq 'instance-1')",
  "PartitionKey ne 'instance-1' and Sequence lt 3",
  "PartitionKey ge 'instance-2'",
  "ExecutionId eq 'first'",
  ""
];

test("answers every filter, page by page, exactly as the package's store does", async () => {
  const original = await open(Store, entities);
  const patched = await open(PatchedStore, entities);
  for (const filter of filters) {
    for (const top of [undefined, 1, 5]) {
      const queryOptions = { filter, top };
      const expected = await queryAll(original, queryOptions);
      assert.deepEqual(await queryAll(patched, queryOptions), expected, `${filter} (top ${top})`);
    }
  }
  assert.equal((await queryAll(patched, { filter: filters[0] })).flat().length, 13, "the partition's rows and its sentinel");
});

test("finds the partition key only where every match must have it", () => {
  assert.equal(pinnedPartitionKey("PartitionKey eq 'a'"), "a");
  assert.equal(pinnedPartitionKey("'a' eq PartitionKey"), "a");
  assert.equal(pinnedPartitionKey("PartitionKey eq 'a' and (RowKey eq 'sentinel' or ExecutionId eq 'x')"), "a");
  assert.equal(pinnedPartitionKey("(Sequence ge 2) and (PartitionKey eq 'it''s')"), "it's");
  for (const unpinned of ["PartitionKey eq 'a' or RowKey eq 'b'", "not (PartitionKey eq 'a')", "PartitionKey ge 'a'",
    "partitionkey eq 'a'", "PartitionKey eq 1", "RowKey eq 'a'", "", undefined, "PartitionKey eq"]) {
    assert.equal(pinnedPartitionKey(unpinned), undefined, String(unpinned));
  }
});

test("a bad filter is still refused the package's way", async () => {
  const original = await open(Store, entities);
  const patched = await open(PatchedStore, entities);
  const refusal = async store => {
    try {
      await store.queryTableEntities(CONTEXT, ACCOUNT, TABLE, { filter: "PartitionKey eq 'a' and" });
      return undefined;
    } catch (error) {
      return [error.statusCode, error.storageErrorCode];
    }
  };
  const expected = await refusal(original);
  assert.ok(expected !== undefined, "the package refuses it");
  assert.deepEqual(await refusal(patched), expected);
});

test("a partition's query in a table of 60,000 rows costs a tenth of the package's or less", async () => {
  const many = [];
  for (let partition = 0; partition < 1000; partition += 1) {
    for (let row = 0; row < 60; row += 1) {
      many.push(entity(partition, row, { ExecutionId: "e" }));
    }
  }
  const timed = async StoreClass => {
    const store = await open(StoreClass, many);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100; i += 1) {
      const filter = `PartitionKey eq 'instance-${(i * 7) % 1000}' and ExecutionId eq 'e'`;
      const [rows] = await store.queryTableEntities(CONTEXT, ACCOUNT, TABLE, { filter });
      assert.equal(rows.length, 60);
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const original = await timed(Store);
  const patched = await timed(PatchedStore);
  assert.ok(patched * 10 <= original, `100 partition queries: ${patched.toFixed(1)} ms patched, ${original.toFixed(1)} ms in the package's store`);
});

test("refuses a store whose method is not the one the patch was written for", () => {
  class Other { async queryTableEntities() { return [[], undefined, undefined]; } }
  assert.throws(() => patchTableStore(Other), /not the 3.35.0 one/);
});
