/**
 * @module
 * The console's token: what the server's auth mode is (`GET /v1/health`, always open), and the JWT a person pasted,
 * kept in `sessionStorage` (this tab only, gone when it closes; never `localStorage`, which every tab and every
 * later visit could read). The console sends it as `Authorization: Bearer` on its own requests and hands the same
 * token to its offline log through a token function.
 */

/** `GET /v1/health`'s `auth`, or `unknown` when the server could not be asked (offline at load). */
export type AuthMode = "none" | "unconfigured" | "token" | "unknown";

const STORAGE_KEY = "edgelog-console-token";

export async function fetchAuthMode(fetcher: typeof fetch): Promise<AuthMode> {
  try {
    const response = await fetcher(`${location.origin}/v1/health`);
    const { auth } = (await response.json()) as { auth?: unknown };
    return auth === "none" || auth === "unconfigured" || auth === "token" ? auth : "unknown";
  } catch {
    return "unknown";
  }
}

/** The pasted token, or `null`; storage that throws (disabled, sandboxed) counts as none. */
export function readToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored, nothing to clear
  }
}

/** `init` with the token as bearer, when there is one. */
export function withToken(init: RequestInit = {}, token = readToken()): RequestInit {
  if (token === null) return init;
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return { ...init, headers };
}

/** The server's message of a refused request (`{ error: { message } }`), or the status when there is none. */
export async function refusalMessage(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === "string") return body.error.message;
  } catch {
    // not a JSON error body
  }
  return `HTTP ${response.status}`;
}
