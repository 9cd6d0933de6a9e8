/**
 * @module
 * Many requests without a burst: the screens describe a page of groups or topics, or read every partition of a
 * topic, a few at a time rather than all at once (the server's request quota, the browser's connections).
 */

/** `fn` over `items`, at most `width` at once; the results in the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
