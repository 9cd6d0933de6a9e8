// A second Worker of the account, for the binding tests: it holds service bindings to the edgelog Worker's
// `EdgeLogService` (one as declared plainly, one narrowed by `props.scopes`) and relays calls through them, so
// every call in the test crosses a real Workers RPC boundary between two Workers. Plain JS: miniflare runs it
// as it is, unbundled.
import { WorkerEntrypoint } from "cloudflare:workers";

const BINDINGS = ["EDGELOG", "EDGELOG_READER"];

export class Relay extends WorkerEntrypoint {
  /** Calls `method(...args)` on one of this Worker's edgelog bindings and answers what it answered. */
  async call(binding, method, args) {
    if (!BINDINGS.includes(binding)) throw new Error(`no binding ${binding}`);
    return this.env[binding][method](...args);
  }

  /** What the caller's own `catch` sees of a failed call: the error's class name and message, nothing else. */
  async failure(binding, method, args) {
    try {
      await this.call(binding, method, args);
      return null;
    } catch (error) {
      return {
        name: error?.constructor?.name,
        message: error?.message,
        code: error?.code ?? null,
        context: error?.context ?? null,
      };
    }
  }
}

export default { fetch: () => new Response("the caller Worker") };
