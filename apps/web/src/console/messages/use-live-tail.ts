/**
 * @module
 * Runs the live tail (live-tail.ts) into a record window while `active`: from the window's end when it starts,
 * from where it stopped when it resumes (the window's cursors moved with every delivery), so a pause loses nothing.
 */
import { useEffect, useState } from "preact/hooks";
import { LiveTail, type TailState } from "./live-tail.ts";
import type { RecordWindow } from "./record-window.ts";

export function useLiveTail(
  topic: string,
  recordWindow: RecordWindow | undefined,
  active: boolean,
): TailState | null {
  const [tail, setTail] = useState<TailState | null>(null);
  useEffect(() => {
    if (!active || recordWindow === undefined) return;
    let stopped = false;
    let live: LiveTail | undefined;
    void recordWindow.beginLive().then((from) => {
      if (stopped) return;
      live = new LiveTail({
        topic,
        from,
        onRecords: (partition, records, highWatermark) =>
          void recordWindow.appendLive(partition, records, highWatermark),
        onState: setTail,
      });
      live.start();
    });
    return () => {
      stopped = true;
      live?.stop();
      setTail(null);
    };
  }, [topic, recordWindow, active]);
  return tail;
}
