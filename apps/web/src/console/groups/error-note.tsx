/**
 * @module
 * A failure as the console shows it: the server's code (`NON_EMPTY_GROUP`) and message, never a blank screen
 * or a stack. Errors that are not the server's (a dropped connection) show their message under a plain label.
 */
import { isEdgeLogError } from "@edgelog/core";

export function describeError(error: unknown): { code: string; message: string } {
  if (isEdgeLogError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: "NETWORK_ERROR", message: error.message };
  return { code: "ERROR", message: String(error) };
}

export function ErrorNote({ error, context }: { error: unknown; context?: string }) {
  const { code, message } = describeError(error);
  return (
    <p class="error-note" role="alert" data-code={code}>
      {context === undefined ? null : <span>{context}: </span>}
      <code>{code}</code> {message}
    </p>
  );
}
