/**
 * How long a hook call waits for the store on its own path (the replay check, quiet by design's read)
 * before it goes on without it. A store that has stopped answering (a frozen PostgreSQL) would otherwise
 * hold every call for the driver's connect or query timeout (2–6 s), far past the EHR's wait for cards.
 * Not shorter: an event loop busy with large bodies can delay a healthy store's answer by a few hundred ms.
 */
export const STORE_WAIT_ON_REQUEST_PATH_MS = 500;

/** `promise`, or a rejection after `ms` (the promise itself runs on; its late answer is dropped). */
export function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
