"use strict";
// Azurite 3.35.0's queue store (LokiQueueMetadataStore) clears expired messages before every receive, peek,
// delete and update, and calls the collection's remove() even when the query found none. LokiJS handles a
// remove of any batch, empty included, by rebuilding (re-sorting) all four binary indexes over all messages
// of every queue, and marks the database dirty so the next autosave writes it whole. With the thousands of
// delayed messages durable timers keep (sign-off deadlines, reminders), each poll cost 30-55 ms at 10,400
// messages and one process served ~20 polls a second at full CPU. The replacement runs the same query and
// removes what it finds, and only calls remove() when it found something: the same messages expire at the
// same moment.
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
      .find({ accountName: account, queueName: queue, expirationTime: { $lte: Date.now() } })
      .data();
    if (expired.length > 0) {
      coll.remove(expired);
    }
  };
  return Store;
}

module.exports = { patchQueueStore, STORE_MODULE };
