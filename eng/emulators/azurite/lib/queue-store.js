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
const path = require("path");

const STORE_MODULE = path.join(__dirname, "..", "..", "node_modules", "azurite", "dist", "src", "queue", "persistence", "LokiQueueMetadataStore.js");

/** Replaces clearExpiredMessages on the store's prototype; throws when the pinned package's method is missing. */
function patchQueueStore(Store = require(STORE_MODULE).default) {
  const original = Store.prototype.clearExpiredMessages;
  if (typeof original !== "function" || !/coll\.remove\(docs\)/.test(original.toString())) {
    throw new Error("azurite's LokiQueueMetadataStore.clearExpiredMessages is not the 3.35.0 one this patch was written for");
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
    updateArraysOneByOne(this.db.getCollection(this.MESSAGES_COLLECTION));
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
