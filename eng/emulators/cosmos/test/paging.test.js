"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { page, decodeContinuation, readMaxItemCount, ContinuationError } = require("../lib/paging");

test("pages through all results exactly once", () => {
  const results = [1, 2, 3, 4, 5];
  const seen = [];
  let continuation;
  let pages = 0;
  do {
    const p = page(results, 2, continuation);
    seen.push(...p.items);
    continuation = p.continuation;
    pages += 1;
  } while (continuation && pages < 10);
  assert.deepEqual(seen, results);
  assert.equal(pages, 3);
});

test("no continuation when everything fits", () => {
  assert.equal(page([1, 2], 2, undefined).continuation, null);
  assert.equal(page([], 2, undefined).continuation, null);
  assert.deepEqual(page([1, 2, 3], Infinity, undefined), { items: [1, 2, 3], continuation: null });
});

test("continuation survives the SDK's round trip as a header value", () => {
  const { continuation } = page([1, 2, 3], 1, undefined);
  assert.equal(decodeContinuation(continuation), 1);
  assert.equal(decodeContinuation(JSON.parse(continuation).token), 1);
  assert.throws(() => decodeContinuation('{"token":"+RID:abc#RT:1"}'), ContinuationError);
  assert.throws(() => decodeContinuation("+ECO:-1"), ContinuationError);
});

test("max item count: absent or non-positive means all", () => {
  assert.equal(readMaxItemCount({}), Infinity);
  assert.equal(readMaxItemCount({ "x-ms-max-item-count": "-1" }), Infinity);
  assert.equal(readMaxItemCount({ "x-ms-max-item-count": "2" }), 2);
});
