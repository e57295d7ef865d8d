import { createTheme, defaultVariantColorsResolver, type VariantColorsResolver } from '@mantine/core';

/**
 * Text on light, subtle and outline variants is darkened: Mantine's
 * defaults (e.g. green.9 on green.1, 3.8:1) are below WCAG AA's 4.5:1 for
 * the small bold text of badges. The e2e axe scan checks it.
 */
const variantColorResolver: VariantColorsResolver = (input) => {
  const r = defaultVariantColorsResolver(input);
  if (input.variant === 'light' || input.variant === 'subtle' || input.variant === 'outline') {
    return { ...r, color: `color-mix(in srgb, ${r.color} 70%, black)` };
  }
  return r;
};

/** The console's one design system: Mantine, with these choices. */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8, // blue.8 (4.9:1 with white) passes WCAG AA for text and buttons; blue.7 does not (4.2:1)
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  headings: { fontWeight: '650' },
  focusRing: 'auto',
  variantColorResolver,
});
