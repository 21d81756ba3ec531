"use strict";
// Azurite 3.35.0's queue store (LokiQueueMetadataStore) clears expired messages before every receive, peek,
// delete and update, and calls the collection's remove() even when the query found none. LokiJS handles a
// remove of any batch, empty included, by rebuilding (re-sorting) all four binary indexes over all messages
// of every queue, and marks the database dirty so the next autosave writes it whole. With the thousands of
// delayed messages durable timers keep (sign-off deadlines, reminders), each poll cost 30-55 ms at 10,400
// messages and one process served ~20 polls a second at full CPU. The replacement runs the same query and
// removes what it finds, and only calls remove() when it found something: the same messages expire at the
// same moment. Its query starts on the queueName index (accountName, the first property, is the same for every
// message, so starting there scanned them all).
// Receives have the same defect one step later: getMessages() hands the messages it took to update() as one array,
// and LokiJS updates any array by switching its adaptive indexes off and re-sorting all four afterwards, so every
// receive that found a message re-sorted every message of every queue. The messages collection's update() now
// updates an array's documents one by one, each through the adaptive indexes: the same documents, the same indexes.
// That is sound because getMessages() changes only fields no index covers (timeNextVisible, popReceipt, dequeueCount):
// while one document's slot is moved, the others' slots are still in order. The patch checks both facts at start.
const path = require("path");

const STORE_MODULE = path.join(__dirname, "..", "..", "node_modules", "azurite", "dist", "src", "queue", "persistence", "LokiQueueMetadataStore.js");

// What getMessages() of 3.35.0 changes on the messages it takes before it passes them to update() at once.
const RECEIVE_CHANGES = ["timeNextVisible", "popReceipt", "dequeueCount"];

/**
 * Replaces clearExpiredMessages on the store's prototype and makes init() switch the messages collection to
 * one-by-one updates; throws when the pinned package's methods are not the ones expected.
 */
function patchQueueStore(Store = require(STORE_MODULE).default) {
  const original = Store.prototype.clearExpiredMessages;
  if (typeof original !== "function" || !/coll\.remove\(docs\)/.test(original.toString())) {
    throw new Error("azurite's LokiQueueMetadataStore.clearExpiredMessages is not the 3.35.0 one this patch was written for");
  }
  const receive = typeof Store.prototype.getMessages === "function" ? Store.prototype.getMessages.toString() : "";
  const changed = [...receive.matchAll(/doc\.(\w+) =/g)].map(m => m[1]);
  if (!/coll\.update\(docs\)/.test(receive) || changed.some(field => !RECEIVE_CHANGES.includes(field))) {
    throw new Error("azurite's LokiQueueMetadataStore.getMessages is not the 3.35.0 one this patch was written for");
  }
  Store.prototype.clearExpiredMessages = async function clearExpiredMessages(account, queue, context) {
    this.checkQueueExist(account, queue, context);
    const coll = this.db.getCollection(this.MESSAGES_COLLECTION);
    const expired = coll
      .chain()
      .find({ queueName: queue, accountName: account, expirationTime: { $lte: Date.now() } })
      .data();
    if (expired.length > 0) {
      coll.remove(expired);
    }
  };
  const init = Store.prototype.init;
  Store.prototype.init = async function initWithOneByOneUpdates(...args) {
    await init.apply(this, args);
    const messages = this.db.getCollection(this.MESSAGES_COLLECTION);
    const indexed = RECEIVE_CHANGES.filter(field => field in messages.binaryIndices);
    if (indexed.length > 0) {
      throw new Error(`azurite's messages collection indexes ${indexed.join(", ")}, which receives change: one-by-one updates would misplace them`);
    }
    updateArraysOneByOne(messages);
  };
  return Store;
}

/** Makes the collection's update() of an array update each document on its own, keeping the indexes adaptive. */
function updateArraysOneByOne(collection) {
  const update = collection.update;
  collection.update = function updateOneByOne(doc) {
    if (!Array.isArray(doc)) {
      return update.call(this, doc);
    }
    for (const each of doc) {
      update.call(this, each);
    }
    return undefined;
  };
}

module.exports = { patchQueueStore, STORE_MODULE };
