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
// Every other message query starts on accountName too, the store's first property: LokiJS runs a query's properties in
// the order they are written, only the first through its index. So each delete and update (by messageId) and each
// receive, peek and count (by queue) compared every message of every queue: with 6,300 messages (1,400-1,650 timers
// in each control queue) 63% of Azurite's CPU in the fault suite's large profile, which it spent at 100%. The messages
// collection's queries now start on messageId, else on queueName, both indexed; the rest of each query is unchanged,
// and a conjunction's result does not depend on its order (every caller that takes more than one message sorts them).
// The expiry sweep before each of those calls compared every message of the queue (14.5% of the CPU in that profile)
// to find, nearly always, nothing: the store now keeps, per queue, a time before which none of its messages expires,
// and sweeps only once that time has come.
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
    const now = Date.now();
    const earliest = earliestExpiries(coll);
    const key = queueKey(account, queue);
    if (earliest.get(key) > now) {
      return; // no message of the queue can have expired yet
    }
    const expired = coll
      .chain()
      .find({ queueName: queue, accountName: account, expirationTime: { $lte: now } })
      .data();
    if (expired.length > 0) {
      coll.remove(expired);
    }
    earliest.set(key, earliestExpiry(coll, account, queue));
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
    startQueriesOnSelectiveIndexes(messages);
    trackEarliestExpiries(messages);
  };
  return Store;
}

// Per collection, per queue: a time no message of the queue expires before (a lower bound: a removal may leave it
// early, which costs one scan that finds nothing, never a message kept past its expiry).
const EARLIEST = new WeakMap();

function earliestExpiries(collection) {
  if (!EARLIEST.has(collection)) {
    EARLIEST.set(collection, new Map());
  }
  return EARLIEST.get(collection);
}

function queueKey(account, queue) {
  return `${account}/${queue}`;
}

/**
 * When a message can expire, as the expiry query compares it: LokiJS's $lte against a number matches only values that
 * convert to a number (a Date); an expiry stored as text (as every message read back from disk holds it) never matches.
 */
function expiryOf(message) {
  const time = Number(message.expirationTime);
  return Number.isNaN(time) ? Infinity : time;
}

function earliestExpiry(collection, account, queue) {
  let earliest = Infinity;
  for (const message of collection.find({ queueName: queue })) {
    if (message.accountName === account) {
      earliest = Math.min(earliest, expiryOf(message));
    }
  }
  return earliest;
}

/** Lowers a queue's earliest expiry whenever a message is inserted into it or updated. */
function trackEarliestExpiries(collection) {
  const earliest = earliestExpiries(collection);
  const note = message => {
    const key = queueKey(message.accountName, message.queueName);
    if (earliest.has(key)) {
      earliest.set(key, Math.min(earliest.get(key), expiryOf(message)));
    }
  };
  for (const method of ["insert", "update"]) {
    const original = collection[method];
    collection[method] = function tracked(doc, ...rest) {
      (Array.isArray(doc) ? doc : [doc]).forEach(note);
      return original.call(this, doc, ...rest);
    };
  }
}

// The indexed properties a message query should start on, most selective first.
const SELECTIVE = ["messageId", "queueName"];

/** Makes every query of the collection (find, findOne, count, findAndRemove, chain) start on its most selective index. */
function startQueriesOnSelectiveIndexes(collection) {
  const missing = SELECTIVE.filter(field => !(field in collection.binaryIndices));
  if (missing.length > 0) {
    throw new Error(`azurite's messages collection no longer indexes ${missing.join(", ")}, which its queries are made to start on`);
  }
  const chain = collection.chain;
  collection.chain = function chainStartingOnIndex(...args) {
    const resultset = chain.apply(this, args);
    const find = resultset.find;
    resultset.find = function findStartingOnIndex(query, firstOnly) {
      return find.call(this, selectiveFirst(query), firstOnly);
    };
    return resultset;
  };
}

/** The same conjunction of properties, its most selective indexed property first. */
function selectiveFirst(query) {
  if (query === null || typeof query !== "object" || Array.isArray(query)) {
    return query;
  }
  const keys = Object.keys(query);
  const first = SELECTIVE.find(field => keys.includes(field));
  if (first === undefined || keys[0] === first) {
    return query;
  }
  return Object.fromEntries([first, ...keys.filter(key => key !== first)].map(key => [key, query[key]]));
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

module.exports = { patchQueueStore, selectiveFirst, STORE_MODULE };
