// The test Worker: exports the Durable Object classes so the test wrangler config can bind them.
export {
  BroadcastObject,
  GroupObject,
  PartitionObject,
  ShareGroupObject,
  TopicsObject,
} from "../src/index.ts";
export default { fetch: (): Response => new Response("edgelog durable-objects test worker") };
