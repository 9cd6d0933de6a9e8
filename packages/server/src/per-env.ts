/**
 * @module
 * One object per host env: a Worker isolate keeps its env object for its lifetime, so what is made here (a
 * store, a quota gate) lives as long as the isolate and is shared by its requests. `app.request(path)` in tests
 * passes no env; those requests share one object too.
 */

/** `make` once per env object, then the same object for that env. */
export function perEnv<E, T>(make: (env: E) => T): (env: E | undefined) => T {
  const made = new WeakMap<object, T>();
  let withoutEnv: { value: T } | undefined;
  return (env) => {
    if (env === undefined || env === null) {
      withoutEnv ??= { value: make(env as E) };
      return withoutEnv.value;
    }
    let value = made.get(env as object);
    if (value === undefined) {
      value = make(env);
      made.set(env as object, value);
    }
    return value;
  };
}
