/**
 * @module
 * Copy to clipboard with one button: `navigator.clipboard.writeText` (a user gesture in a secure context, which
 * the console always is: https, or 127.0.0.1 with `npm start`), then "Copied" for a moment on the button itself;
 * a refusal (permissions, an insecure origin) is said in a toast rather than lost.
 */
import { useEffect, useState } from "preact/hooks";
import { Button } from "./button.tsx";
import { toastError } from "./notice.tsx";

const COPIED_MS = 1_500;

export interface CopyButtonProps {
  /** The text, or a function computing it at click time (a record as JSON). */
  readonly text: string | (() => string);
  /** The button's visible label (default "Copy"). */
  readonly label?: string;
  /** Read out instead of the label ("Copy record 42 as JSON"). */
  readonly ariaLabel?: string;
  readonly small?: boolean;
}

export function CopyButton({ text, label = "Copy", ariaLabel, small = true }: CopyButtonProps) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return undefined;
    const timer = setTimeout(() => setCopied(false), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(typeof text === "function" ? text() : text);
      setCopied(true);
    } catch (error) {
      toastError("Could not copy", error);
    }
  };
  return (
    <Button small={small} variant="ghost" onClick={copy} aria-label={ariaLabel}>
      <span aria-live="polite">{copied ? "Copied" : label}</span>
    </Button>
  );
}
