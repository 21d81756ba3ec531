"use strict";
// Answer to the .NET SDK's query-plan request (x-ms-cosmos-is-query-plan-request). The SDK cannot
// build plans itself off Windows, so it asks the gateway. The stand-in always has exactly one
// partition key range, so a plan with no rewrites and the full range lets the server's own result
// (ORDER BY, TOP and aggregates included) pass through the SDK unchanged.

const FULL_RANGE = Object.freeze({ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false });

function buildQueryPlan() {
  return {
    partitionedQueryExecutionInfoVersion: 2,
    queryInfo: {
      distinctType: "None",
      top: null,
      offset: null,
      limit: null,
      orderBy: [],
      orderByExpressions: [],
      groupByExpressions: [],
      groupByAliases: [],
      aggregates: [],
      groupByAliasToAggregateType: {},
      rewrittenQuery: "",
      hasSelectValue: false,
      dCountInfo: null,
      hasNonStreamingOrderBy: false
    },
    queryRanges: [{ ...FULL_RANGE }]
  };
}

function isQueryPlanRequest(headers) {
  return String(headers["x-ms-cosmos-is-query-plan-request"] || "").toLowerCase() === "true";
}

module.exports = { buildQueryPlan, isQueryPlanRequest, FULL_RANGE };
