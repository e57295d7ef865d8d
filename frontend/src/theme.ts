import { createTheme } from '@mantine/core';

/** The console's one design system: Mantine, with these choices. */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 7, // blue.7 on white passes WCAG AA for text and buttons
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  headings: { fontWeight: '650' },
  focusRing: 'auto',
});
