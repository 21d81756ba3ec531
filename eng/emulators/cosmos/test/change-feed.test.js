"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { readChangeFeed } = require("../lib/change-feed");

const docs = [
  { id: "c", _lsn: 5, _ts: 300 },
  { id: "a", _lsn: 2, _ts: 100 },
  { id: "b", _lsn: 3, _ts: 200 }
];

test("from the beginning returns every document in LSN order", () => {
  const feed = readChangeFeed({ docs, currentLsn: 6 });
  assert.equal(feed.status, 200);
  assert.deepEqual(feed.items.map(d => d.id), ["a", "b", "c"]);
  assert.equal(feed.etag, '"6"');
});

test("resuming returns only changes after the token, then 304", () => {
  const feed = readChangeFeed({ docs, currentLsn: 6, ifNoneMatch: '"3"' });
  assert.deepEqual(feed.items.map(d => d.id), ["c"]);
  const next = readChangeFeed({ docs, currentLsn: 6, ifNoneMatch: feed.etag });
  assert.equal(next.status, 304);
  assert.deepEqual(next.items, []);
  assert.equal(next.etag, '"6"');
});

test("from now is 304 with the current LSN as the token", () => {
  const feed = readChangeFeed({ docs, currentLsn: 6, ifNoneMatch: "*" });
  assert.deepEqual({ status: feed.status, etag: feed.etag }, { status: 304, etag: '"6"' });
  const later = readChangeFeed({ docs: [...docs, { id: "d", _lsn: 7 }], currentLsn: 7, ifNoneMatch: feed.etag });
  assert.deepEqual(later.items.map(d => d.id), ["d"]);
});

test("a truncated page resumes right after its last item", () => {
  const first = readChangeFeed({ docs, currentLsn: 6, maxItemCount: 2 });
  assert.deepEqual(first.items.map(d => d.id), ["a", "b"]);
  assert.equal(first.etag, '"3"');
  const second = readChangeFeed({ docs, currentLsn: 6, maxItemCount: 2, ifNoneMatch: first.etag });
  assert.deepEqual(second.items.map(d => d.id), ["c"]);
  assert.equal(second.etag, '"6"');
});

test("start time filters by _ts", () => {
  const feed = readChangeFeed({ docs, currentLsn: 6, ifModifiedSince: 200 * 1000 });
  assert.deepEqual(feed.items.map(d => d.id), ["b", "c"]);
});

test("rejects a token that is not an LSN", () => {
  assert.throws(() => readChangeFeed({ docs, currentLsn: 6, ifNoneMatch: '"abc"' }));
});
