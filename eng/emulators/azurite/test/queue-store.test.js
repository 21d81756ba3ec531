"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { patchQueueStore, STORE_MODULE } = require("../lib/queue-store");

const Store = require(STORE_MODULE).default;
class PatchedStore extends Store {}
patchQueueStore(PatchedStore);

const ACCOUNT = "devstoreaccount1";
const QUEUES = ["control-00", "control-01"];

async function open(StoreClass, messages) {
  const store = new StoreClass(`queue-store-test-${StoreClass.name}.json`, true);
  await store.init();
  for (const name of QUEUES) await store.createQueue({ accountName: ACCOUNT, name });
  for (const message of messages) await store.insertMessage(message);
  return store;
}

function message(i, { visibleInMs, expiresInMs }) {
  const now = Date.now();
  return {
    accountName: ACCOUNT,
    queueName: QUEUES[i % QUEUES.length],
    messageId: `m${i}`,
    popReceipt: "initial",
    timeNextVisible: new Date(now + visibleInMs),
    persistency: { id: "extent", offset: i * 10, count: 10 },
    insertionTime: new Date(now - 60000),
    expirationTime: new Date(now + expiresInMs),
    dequeueCount: 0
  };
}

const WEEK = 7 * 24 * 3600 * 1000;
const mixed = Array.from({ length: 40 }, (_, i) =>
  message(i, { visibleInMs: i % 3 === 0 ? -1000 : 3600 * 1000, expiresInMs: i % 5 === 0 ? -1 : WEEK }));

test("receives, peeks and expires exactly what the package's store does", async () => {
  const original = await open(Store, mixed);
  const patched = await open(PatchedStore, mixed);
  for (const queue of QUEUES) {
    const peeked = await Promise.all([original, patched].map(s => s.peekMessages(ACCOUNT, queue, 32)));
    assert.deepEqual(peeked[1].map(m => m.messageId), peeked[0].map(m => m.messageId));
    const received = await Promise.all([original, patched].map(s => s.getMessages(ACCOUNT, queue, new Date(Date.now() + 30000), "pr", 32)));
    assert.deepEqual(received[1].map(m => m.messageId), received[0].map(m => m.messageId));
    assert.ok(received[1].length > 0);
    assert.equal(await patched.getMessagesCount(ACCOUNT, queue), await original.getMessagesCount(ACCOUNT, queue));
  }
  const expired = mixed.filter((_, i) => i % 5 === 0).length;
  assert.equal(
    (await patched.getMessagesCount(ACCOUNT, QUEUES[0])) + (await patched.getMessagesCount(ACCOUNT, QUEUES[1])),
    mixed.length - expired);
});

test("a poll that finds nothing expired neither rebuilds the indexes nor dirties the database", async () => {
  const delayed = Array.from({ length: 100 }, (_, i) => message(i, { visibleInMs: WEEK, expiresInMs: WEEK }));
  const indexes = store => ({ ...store.db.getCollection(store.MESSAGES_COLLECTION).binaryIndices });
  const rebuilt = async StoreClass => {
    const store = await open(StoreClass, delayed);
    store.db.getCollection(store.MESSAGES_COLLECTION).dirty = false;
    const before = indexes(store);
    await store.getMessages(ACCOUNT, QUEUES[0], new Date(), "pr", 32);
    const after = indexes(store);
    return {
      indexes: Object.keys(before).filter(name => before[name] !== after[name]),
      dirty: store.db.getCollection(store.MESSAGES_COLLECTION).dirty
    };
  };
  assert.deepEqual(await rebuilt(Store), { indexes: ["accountName", "queueName", "messageId", "visibleTime"], dirty: true },
    "the package's store rebuilds every index on every poll (what the patch is for)");
  assert.deepEqual(await rebuilt(PatchedStore), { indexes: [], dirty: false });
});

test("a receive that takes messages updates the indexes in place instead of re-sorting them", async () => {
  const visible = Array.from({ length: 100 }, (_, i) => message(i, { visibleInMs: -1000, expiresInMs: WEEK }));
  const rebuilt = async StoreClass => {
    const store = await open(StoreClass, visible);
    const indexes = () => ({ ...store.db.getCollection(store.MESSAGES_COLLECTION).binaryIndices });
    const before = indexes();
    const received = await store.getMessages(ACCOUNT, QUEUES[0], new Date(Date.now() + 30000), "pr", 32);
    assert.equal(received.length, 32);
    const after = indexes();
    const collection = store.db.getCollection(store.MESSAGES_COLLECTION);
    for (const [name, index] of Object.entries(collection.binaryIndices)) {
      assert.deepEqual([...index.values].sort((a, b) => a - b), collection.data.map((_, i) => i), `${name} indexes every message once`);
      const keys = index.values.map(position => collection.data[position][name]);
      assert.ok(keys.every((key, i) => i === 0 || !(key < keys[i - 1])), `${name} stays in order`);
    }
    return Object.keys(before).filter(name => before[name] !== after[name]);
  };
  assert.deepEqual(await rebuilt(Store), ["accountName", "queueName", "messageId", "visibleTime"],
    "the package's store re-sorts every index on every receive that takes a message (what the patch is for)");
  assert.deepEqual(await rebuilt(PatchedStore), []);
});

test("polls over 10,000 delayed timer messages stay cheap", async () => {
  const delayed = Array.from({ length: 10000 }, (_, i) => message(i, { visibleInMs: WEEK, expiresInMs: WEEK }));
  const patched = await open(PatchedStore, delayed);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 200; i += 1) await patched.getMessages(ACCOUNT, QUEUES[i % 2], new Date(), "pr", 32);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 3000, `200 polls took ${ms.toFixed(0)} ms`);
});

test("refuses a store whose methods are not the ones the patch was written for", () => {
  class Other { async clearExpiredMessages() { return undefined; } }
  assert.throws(() => patchQueueStore(Other), /clearExpiredMessages is not the 3.35.0 one/);
  class OtherReceive extends Store {
    async getMessages(account, queue) {
      const coll = this.db.getCollection(this.MESSAGES_COLLECTION);
      const docs = coll.find({ queueName: queue, accountName: account });
      for (const doc of docs) doc.queueName = "moved";
      coll.update(docs);
      return docs;
    }
  }
  assert.throws(() => patchQueueStore(OtherReceive), /getMessages is not the 3.35.0 one/);
});
