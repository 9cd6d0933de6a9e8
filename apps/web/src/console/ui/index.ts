/**
 * @module
 * The console's component kit, for every screen: buttons, dialogs (with typed confirmation), labelled fields,
 * tables, error banners and toasts, loading and empty states, copy to clipboard, data loading, virtualised rows
 * and number formatting. Styles are in ../styles.css (CSS variables, light and dark).
 */
export { Button, type ButtonProps, type ButtonVariant } from "./button.tsx";
export { CopyButton, type CopyButtonProps } from "./copy-button.tsx";
export { ConfirmDialog, type ConfirmDialogProps, Dialog, type DialogProps } from "./dialog.tsx";
export { describeError, type ShownError } from "./errors.ts";
export {
  Field,
  type FieldProps,
  NumberField,
  SelectField,
  type SelectFieldProps,
  TextField,
  type TextFieldProps,
} from "./field.tsx";
export { formatBytes, formatCount, formatDuration, formatLimitBytes, formatTime } from "./format.ts";
export { ErrorBanner, type ToastKind, Toasts, toast, toastError } from "./notice.tsx";
export { type Crumb, ScreenHeader } from "./screen-header.tsx";
export { Empty, Loading } from "./states.tsx";
export { type Column, Table, type TableProps } from "./table.tsx";
export { type Resource, useResource } from "./use-resource.ts";
export { useVirtualRows, type VirtualRows, type VirtualRowsOptions } from "./use-virtual-rows.ts";
