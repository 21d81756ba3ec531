"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { buildQueryPlan, isQueryPlanRequest } = require("../lib/query-plan");

test("plan is version 2 with one full range and nothing for the SDK to rewrite", () => {
  const plan = buildQueryPlan();
  assert.equal(plan.partitionedQueryExecutionInfoVersion, 2);
  assert.deepEqual(plan.queryRanges, [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }]);
  assert.equal(plan.queryInfo.distinctType, "None");
  assert.equal(plan.queryInfo.rewrittenQuery, "");
  assert.deepEqual(plan.queryInfo.orderBy, []);
  assert.deepEqual(plan.queryInfo.aggregates, []);
  assert.equal(plan.queryInfo.top, null);
  assert.equal(plan.queryInfo.hasNonStreamingOrderBy, false);
});

test("each plan is a fresh object (callers cannot corrupt the next answer)", () => {
  const first = buildQueryPlan();
  first.queryRanges[0].max = "00";
  assert.equal(buildQueryPlan().queryRanges[0].max, "FF");
});

test("recognises the query-plan header case-insensitively", () => {
  assert.equal(isQueryPlanRequest({ "x-ms-cosmos-is-query-plan-request": "True" }), true);
  assert.equal(isQueryPlanRequest({ "x-ms-cosmos-is-query-plan-request": "false" }), false);
  assert.equal(isQueryPlanRequest({}), false);
});
