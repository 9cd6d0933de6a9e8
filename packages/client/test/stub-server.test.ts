// The round trips against the stub server: they pin the client's behaviour whatever state the Worker app is in.
import { MemoryStore } from "@edgelog/core";
import { runRoundTrips } from "./support/round-trip-suite.ts";
import { stubServer } from "./support/stub-server.ts";

runRoundTrips("stub server", {
  createStore: () => new MemoryStore(),
  fetchFor: (store) => stubServer(store),
});
