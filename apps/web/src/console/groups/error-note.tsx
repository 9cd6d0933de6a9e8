/**
 * @module
 * A failure inline in a groups screen's text (a poll that keeps the last view, a dialog's refusal): the server's
 * code (`NON_EMPTY_GROUP`) and message as the console's kit describes them (ui/errors.ts), never a blank screen or
 * a stack; `data-code` names the code for tests. It looks like the kit's `ErrorBanner` (ui/notice.tsx), inline.
 */
import { describeError } from "../ui/errors.ts";

export function ErrorNote({ error, context }: { error: unknown; context?: string }) {
  const { code, message } = describeError(error);
  return (
    <p class="notice notice-error error-note" role="alert" data-code={code}>
      <span>
        {context === undefined ? null : <span>{context}: </span>}
        <code class="error-code">{code}</code> <span class="error-message">{message}</span>
      </span>
    </p>
  );
}
