"use strict";
// Azurite 3.35.0's table store (LokiTableMetadataStore) answers every entity query by running the parsed $filter
// over every entity of the table, although the table's collection keeps a binary index on PartitionKey. The Durable
// Task Framework reads an instance's history with `PartitionKey eq '<instance>' and (...)`, so each history read
// scanned the whole history table: 12-16 ms at the 78,000 rows the fault suite's CI profile holds after 600 offerings,
// and Azurite's one core went to those scans as the table grew. When the filter pins the partition key (an equality
// on PartitionKey reached through `and` only), the replacement hands the package's own query a collection narrowed
// to that partition through the index; the package still applies the whole filter, its paging and its ordering.
// One difference: the filter is evaluated on that partition only, so a conjunct that throws on some entity of another
// partition (a type the package's comparison does not expect) no longer fails the query.
const path = require("path");

const PERSISTENCE = path.join(__dirname, "..", "..", "node_modules", "azurite", "dist", "src", "table", "persistence");
const STORE_MODULE = path.join(PERSISTENCE, "LokiTableMetadataStore.js");
const parseQuery = require(path.join(PERSISTENCE, "QueryInterpreter", "QueryParser.js")).default;
const node = name => require(path.join(PERSISTENCE, "QueryInterpreter", "QueryNodes", `${name}.js`)).default;
const AndNode = node("AndNode");
const EqualsNode = node("EqualsNode");
const IdentifierNode = node("IdentifierNode");
const ConstantNode = node("ConstantNode");

/** The partition key every entity matching the filter must have, or undefined when the filter does not pin one. */
function pinnedPartitionKey(filter) {
  if (typeof filter !== "string" || filter.length === 0) {
    return undefined;
  }
  let tree;
  try {
    tree = parseQuery(filter);
  } catch {
    return undefined; // the package's own query reports the bad filter
  }
  return pinned(tree);
}

function pinned(query) {
  if (query instanceof AndNode) {
    return pinned(query.left) ?? pinned(query.right);
  }
  if (query instanceof EqualsNode) {
    const [identifier, constant] = query.left instanceof IdentifierNode ? [query.left, query.right] : [query.right, query.left];
    if (identifier instanceof IdentifierNode && identifier.identifier === "PartitionKey"
      && constant instanceof ConstantNode && typeof constant.value === "string") {
      return constant.value;
    }
  }
  return undefined;
}

/** Replaces queryTableEntities on the store's prototype; throws when the pinned package's method is not the one expected. */
function patchTableStore(Store = require(STORE_MODULE).default) {
  const original = Store.prototype.queryTableEntities;
  const source = typeof original === "function" ? original.toString() : "";
  if (!/this\.getEntityCollection\(account, table, context\)[\s\S]*tableEntityCollection\s*\.chain\(\)\s*\.where\(queryWhere\)/.test(source)) {
    throw new Error("azurite's LokiTableMetadataStore.queryTableEntities is not the 3.35.0 one this patch was written for");
  }
  Store.prototype.queryTableEntities = async function queryTableEntities(context, account, table, queryOptions, ...continuation) {
    const partitionKey = pinnedPartitionKey(queryOptions?.filter);
    if (partitionKey === undefined) {
      return original.call(this, context, account, table, queryOptions, ...continuation);
    }
    const collection = this.getEntityCollection(account, table, context);
    const partition = { chain: () => collection.chain().find({ PartitionKey: partitionKey }) };
    const narrowed = Object.create(this, { getEntityCollection: { value: () => partition } });
    return original.call(narrowed, context, account, table, queryOptions, ...continuation);
  };
  return Store;
}

module.exports = { patchTableStore, pinnedPartitionKey, STORE_MODULE };
