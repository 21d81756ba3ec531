"use strict";
// Builds the stand-in: account state, journal replay and compaction, HTTP server.
const http = require("http");
require("./resource-id"); // before any rid is made or read
const store = require("./store");
const { Journal } = require("./journal");
const { createHandler } = require("./handler");

/**
 * Replays the journal in dataDir, compacts it, and starts listening.
 * Resolves to { server, account, port, close() }.
 */
async function startCosmos({ host = "127.0.0.1", port = 8081, dataDir, fsync = false, logRequests = false, log = () => {} }) {
  if (!dataDir) throw new Error("dataDir is required");
  const started = Date.now();
  const account = store.createAccount(host, port);
  const journal = new Journal(dataDir, { fsync });
  const { count, skipped } = journal.replay(record => store.applyRecord(account, record));
  if (skipped) log(`journal: skipped ${skipped} unreadable line(s) (a torn last write is expected after a crash)`);
  journal.compactAndOpen(() => store.snapshotRecords(account));

  const handle = createHandler({ account, journal, log, logRequests });
  const server = http.createServer(handle);
  // Longer than the SDK's idle pooled-connection lifetime, so the client never reuses a socket the
  // server is closing at that moment.
  server.keepAliveTimeout = 120000;
  server.headersTimeout = 125000;

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  if (actualPort !== port) {
    const data = account.read();
    for (const location of [...data.writableLocations, ...data.readableLocations]) {
      location.databaseAccountEndpoint = `http://${host}:${actualPort}/`;
    }
  }
  log(`cosmos stand-in listening on http://${host}:${actualPort}/ (data ${dataDir}, ${count} journal records replayed in ${Date.now() - started} ms)`);

  const close = () =>
    new Promise(resolve => {
      server.close(() => {
        journal.close();
        resolve();
      });
      server.closeAllConnections();
    });
  return { server, account, port: actualPort, close };
}

module.exports = { startCosmos };
