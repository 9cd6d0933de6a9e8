/**
 * @module
 * Who the console talks to and as whom: the server's auth mode (`GET /v1/health`), the token kept in this tab's
 * session storage (console-token.ts), and two ways to call the API with it — `api` (JSON requests, errors as
 * `EdgeLogError` with the server's code and context) and `client` (an `@edgelog/client` EdgeLog for admin, producer and consumer
 * calls) — and signing in and out. Screens use these and nothing else, so a 401 anywhere (an expired token) brings
 * the sign-in form back with the server's message.
 */
import { createClient } from "@edgelog/client";
import { type EdgeLog, EdgeLogError } from "@edgelog/core";
import { signal } from "@preact/signals";
import {
  type AuthMode,
  clearToken,
  fetchAuthMode,
  readToken,
  saveToken,
  tokenShapeProblem,
  withToken,
} from "../console-token.ts";
import { errorOf } from "./api-error.ts";

/** The server's auth mode; `unknown` until `GET /v1/health` answered (or when it could not be asked). */
export const authMode = signal<AuthMode>("unknown");
/** The kept token (session storage), mirrored as a signal so screens re-render on sign in / out. */
export const token = signal<string | null>(readToken());
/** The server's message when it last refused the kept token (401), for the sign-in form to show. */
export const tokenRefusal = signal<string | null>(null);

/** Whether screens must wait for a token: the server wants one and there is none that works. */
export function needsToken(): boolean {
  return authMode.value === "token" && (token.value === null || tokenRefusal.value !== null);
}

export async function loadAuthMode(): Promise<void> {
  authMode.value = await fetchAuthMode(fetch);
}

/** A request to the API with the kept token; a non-2xx answer throws the server's error. */
export async function apiFetch(path: string, init?: RequestInit): Promise<Response> {
  const sent = token.value;
  const response = await fetch(path, withToken(init, sent));
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && sent !== null && sent === token.value) tokenRefusal.value = error.message;
  throw error;
}

/** `apiFetch` for JSON: sends `body` as JSON when given, parses the answer (undefined for 204). */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await apiFetch(path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    ...(init.body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) }),
  });
  return (response.status === 204 ? undefined : await response.json()) as T;
}

let cached: { token: string | null; log: EdgeLog } | undefined;

/** The console's `@edgelog/client`, made anew when the token changes. */
export function client(): EdgeLog {
  if (cached === undefined || cached.token !== token.value) {
    void cached?.log.close();
    const current = token.value;
    cached = {
      token: current,
      log: createClient({
        url: location.origin,
        clientId: "edgelog-console",
        ...(current === null ? {} : { token: current }),
      }),
    };
  }
  return cached.log;
}

/**
 * Signs in with a pasted token: checked for shape, then with one request (`check`, which answers the server's
 * refusal), and kept in this tab's session storage only once the server took it. Resolves to why it was refused,
 * or `null` when signed in.
 */
export async function signIn(
  pasted: string,
  check: (token: string) => Promise<void>,
): Promise<string | null> {
  const candidate = pasted.trim();
  const problem = tokenShapeProblem(candidate);
  if (problem !== null) return problem;
  try {
    await check(candidate);
  } catch (error) {
    return error instanceof EdgeLogError ? `The server refused this token: ${error.message}` : String(error);
  }
  saveToken(candidate);
  tokenRefusal.value = null;
  token.value = candidate;
  return null;
}

/** Forgets the token (session storage and memory); screens ask for a new one. */
export function signOut(): void {
  clearToken();
  tokenRefusal.value = null;
  token.value = null;
}

/** A request with `candidate` as the token instead of the kept one, for checking it before it is kept. */
export async function fetchWith(candidate: string, path: string): Promise<Response> {
  const response = await fetch(path, withToken({}, candidate));
  if (!response.ok) throw await errorOf(response);
  return response;
}
