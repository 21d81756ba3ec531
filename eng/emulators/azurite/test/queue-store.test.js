"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { patchQueueStore, selectiveFirst, STORE_MODULE } = require("../lib/queue-store");

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

test("deletes and updates by message id answer as the package's store does, errors included", async () => {
  const stores = await Promise.all([Store, PatchedStore].map(StoreClass => open(StoreClass, mixed)));
  const outcome = async run => {
    try {
      await run();
      return "ok";
    } catch (error) {
      return error.storageErrorCode ?? error.message;
    }
  };
  const steps = [
    store => store.deleteMessage(ACCOUNT, QUEUES[1], "m1", "initial"),
    store => store.deleteMessage(ACCOUNT, QUEUES[1], "m3", "wrong"),
    store => store.deleteMessage(ACCOUNT, QUEUES[0], "m3", "initial"), // m3 is in the other queue
    store => store.deleteMessage(ACCOUNT, QUEUES[1], "m1", "initial"), // already deleted
    store => store.updateMessage({ accountName: ACCOUNT, queueName: QUEUES[0], messageId: "m2", popReceipt: "next", timeNextVisible: new Date(0) }, "initial"),
    store => store.updateMessage({ accountName: ACCOUNT, queueName: QUEUES[0], messageId: "m4", popReceipt: "next", timeNextVisible: new Date(0) }, "wrong"),
  ];
  for (const [i, step] of steps.entries()) {
    const [expected, actual] = [await outcome(() => step(stores[0])), await outcome(() => step(stores[1]))];
    assert.equal(actual, expected, `step ${i}`);
  }
  for (const queue of QUEUES) {
    const received = await Promise.all(stores.map(s => s.getMessages(ACCOUNT, queue, new Date(Date.now() + 30000), "pr", 32)));
    assert.deepEqual(received[1].map(m => m.messageId), received[0].map(m => m.messageId));
  }
});

test("message queries start on the message id, else on the queue; other queries stay as written", () => {
  assert.deepEqual(Object.keys(selectiveFirst({ accountName: "a", queueName: "q", messageId: "m" })), ["messageId", "accountName", "queueName"]);
  assert.deepEqual(Object.keys(selectiveFirst({ accountName: "a", queueName: "q", timeNextVisible: { $lte: 1 } })), ["queueName", "accountName", "timeNextVisible"]);
  const unchanged = [{ $loki: { $gt: 5 } }, { queueName: "q", accountName: "a" }, { accountName: "a" }, "getAll", undefined];
  for (const query of unchanged) {
    assert.equal(selectiveFirst(query), query);
  }
});

test("deleting messages by id among 10,000 timers costs a small fraction of a scan from accountName", async () => {
  const delayed = Array.from({ length: 10000 }, (_, i) => message(i, { visibleInMs: WEEK, expiresInMs: WEEK }));
  const cost = async startOnIndex => {
    const store = await open(PatchedStore, delayed);
    if (!startOnIndex) {
      delete store.db.getCollection(store.MESSAGES_COLLECTION).chain; // back to LokiJS's own: queries as written
    }
    const started = process.hrtime.bigint();
    for (let i = 0; i < 300; i += 1) await store.deleteMessage(ACCOUNT, QUEUES[i % 2], `m${i}`, "initial");
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const [asWritten, onIndex] = [await cost(false), await cost(true)];
  assert.ok(onIndex <= asWritten / 3, `300 deletes: ${onIndex.toFixed(0)} ms starting on the index, ${asWritten.toFixed(0)} ms as written`);
});

test("messages expire when due, also after the queue's earliest expiry was noted and a sooner one arrived", async () => {
  const store = await open(PatchedStore, [message(0, { visibleInMs: WEEK, expiresInMs: WEEK })]);
  const count = () => store.getMessagesCount(ACCOUNT, QUEUES[0]);
  const until = ms => new Promise(resolve => setTimeout(resolve, Math.max(0, started + ms - Date.now())));
  await store.getMessages(ACCOUNT, QUEUES[0], new Date(), "pr", 32); // notes the week-away expiry
  const started = Date.now();
  await store.insertMessage(message(2, { visibleInMs: WEEK, expiresInMs: 500 }));
  await store.insertMessage(message(4, { visibleInMs: -1000, expiresInMs: 2500 }));
  await store.peekMessages(ACCOUNT, QUEUES[0], 32);
  assert.equal(await count(), 3);
  await until(1000);
  await store.peekMessages(ACCOUNT, QUEUES[0], 32);
  assert.equal(await count(), 2, "the sooner message expired although the queue's noted expiry was a week away");
  await until(2800);
  assert.deepEqual(await store.getMessages(ACCOUNT, QUEUES[0], new Date(Date.now() + 30000), "pr", 32), [],
    "an expired message is never received");
  assert.equal(await count(), 1);
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
