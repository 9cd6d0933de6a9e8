/**
 * @module
 * The console's token: what the server's auth mode is (`GET /v1/health`, always open), and the JWT a person pasted,
 * kept in `sessionStorage` (this tab only, gone when it closes; never `localStorage`, which every tab and every
 * later visit could read). The console sends it as `Authorization: Bearer` on its own requests and hands the same
 * token to its offline log through a token function.
 */

/**
 * `GET /v1/health`'s `auth`, or `unknown` when the server could not be asked (offline at load). `host`: the API is
 * mounted in a Worker whose own sign-in grants the rights (no token of ours is needed or read).
 */
export type AuthMode = "none" | "unconfigured" | "token" | "host" | "unknown";

const STORAGE_KEY = "edgelog-console-token";

export async function fetchAuthMode(fetcher: typeof fetch): Promise<AuthMode> {
  try {
    const response = await fetcher(`${location.origin}/v1/health`);
    const { auth } = (await response.json()) as { auth?: unknown };
    return auth === "none" || auth === "unconfigured" || auth === "token" || auth === "host"
      ? auth
      : "unknown";
  } catch {
    return "unknown";
  }
}

/** A compact JWS (header.payload.signature, base64url), of a size any server takes in a header. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
export const MAX_TOKEN_CHARS = 8_192;

/**
 * Why `token` cannot be a JWT, or `null` when it looks like one. Checked before any request: a string that cannot
 * be a header value would fail every request like a network outage.
 */
export function tokenShapeProblem(token: string): string | null {
  return token.length > MAX_TOKEN_CHARS || !JWT_SHAPE.test(token)
    ? `That is not a JWT: three base64url parts separated by dots, at most ${MAX_TOKEN_CHARS} characters.`
    : null;
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
