/**
 * @module
 * The fan-out benchmark's WebSocket reader (docs/http-api.md "WebSocket live tail"): opens the tail at offset 0,
 * reads each binary records message's frames (core's live message codec, which checks every frame's batch
 * header) and reports the offset of every record past its position, in order — not the records themselves: the
 * benchmark measures delivery, and decoding ten thousand readers' records on its one thread would measure that
 * thread. When a message leaves it short of the high watermark, or the partition says it is `behind`, it sends
 * `resume` from where it stands — the protocol's flow control — so a reader that falls behind catches up and
 * rejoins the push. The socket is the benchmark's lean client (fanout-ws-client.ts).
 */
import {
  decodeLiveRecords,
  encodeLiveControl,
  parseLiveServerMessage,
} from "../../../packages/core/src/store-kit/index.ts";
import { openRawWebSocket } from "./fanout-ws-client.ts";

export interface WsReaderEvents {
  readonly onOffset: (offset: number) => void;
  readonly onFailure: (error: Error) => void;
  /** The partition accepted the socket (`ready`): every later commit is pushed to it. */
  readonly onLive: () => void;
}

/** Opens a WebSocket tail of `url` (the records path, `http://…/partitions/0/records`) from offset 0. */
export function openWsReader(url: string, events: WsReaderEvents): { close(): void } {
  let next = 0;
  let done = false;
  const fail = (error: Error): void => {
    if (done) return;
    done = true;
    events.onFailure(error);
    socket.close();
  };
  const resume = (): void => socket.sendText(encodeLiveControl({ type: "resume", offset: next }));
  const socket = openRawWebSocket(`${url.replace(/^http/, "ws")}?offset=0`, {
    onOpen: () => {},
    onText: (text) => {
      try {
        const message = parseLiveServerMessage(text);
        if (message.type === "ready") {
          next = message.offset;
          events.onLive();
        } else if (message.type === "behind") resume();
        else fail(new Error(`WebSocket error message: ${message.error.code} ${message.error.message}`));
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    },
    onBinary: (bytes) => {
      try {
        const { highWatermark, batches } = decodeLiveRecords(bytes);
        for (const batch of batches) {
          for (let offset = Math.max(next, batch.baseOffset); offset <= batch.lastOffset; offset++) {
            events.onOffset(offset);
          }
          next = Math.max(next, batch.lastOffset + 1);
        }
        if (next < highWatermark) resume();
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    },
    onClose: (reason) => fail(new Error(`WebSocket ${reason}`)),
  });
  return {
    close() {
      done = true;
      socket.close();
    },
  };
}
