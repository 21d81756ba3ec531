"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { readPartitionKey, partitionValue, scopeToPartition, PartitionKeyError } = require("../lib/partition");

const H = value => ({ "x-ms-documentdb-partitionkey": value });

test("reads the partition key header forms the SDK sends", () => {
  assert.deepEqual(readPartitionKey({}), { scoped: false });
  assert.deepEqual(readPartitionKey(H('["a"]')), { scoped: true, value: "a" });
  assert.deepEqual(readPartitionKey(H("[5]")), { scoped: true, value: 5 });
  assert.deepEqual(readPartitionKey(H("[null]")), { scoped: true, value: null });
  assert.deepEqual(readPartitionKey(H("[{}]")), { scoped: true, value: undefined });
  assert.deepEqual(readPartitionKey(H("[]")), { scoped: false });
});

test("rejects malformed and hierarchical keys", () => {
  assert.throws(() => readPartitionKey(H("[oops")), PartitionKeyError);
  assert.throws(() => readPartitionKey(H('["a","b"]')), PartitionKeyError);
});

test("reads nested partition key paths", () => {
  assert.equal(partitionValue({ a: { b: "x" } }, ["/a/b"]), "x");
  assert.equal(partitionValue({ a: null }, ["/a/b"]), undefined);
  assert.equal(partitionValue({ id: "i" }, []), "i");
});

test("scopes documents to the requested partition only", () => {
  const docs = [
    { id: "1", pk: "a" },
    { id: "2", pk: "b" },
    { id: "3", pk: "a" },
    { id: "4", pk: 1 },
    { id: "5" }
  ];
  const ids = header => scopeToPartition(docs, ["/pk"], readPartitionKey(header)).map(d => d.id);
  assert.deepEqual(ids(H('["a"]')), ["1", "3"]);
  assert.deepEqual(ids(H("[1]")), ["4"]);
  assert.deepEqual(ids(H('["1"]')), []);
  assert.deepEqual(ids(H("[{}]")), ["5"]);
  assert.deepEqual(ids({}), ["1", "2", "3", "4", "5"]);
});
