import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ApiError, request } from '../api/client';
import type { FieldError, PreviewResult } from '../api/types';

export interface Preview {
  /** The engine's answer for the last document and input it saw. */
  result?: PreviewResult;
  /** Document or input problems (a 400), by pointer into the request: /transform/..., /input/... */
  problems: FieldError[];
  /** Text that is not JSON, checked here without asking the server. */
  syntax?: { field: 'document' | 'input'; detail: string };
  checking: boolean;
  error?: unknown;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : 'not valid JSON' };
  }
}

/**
 * useTransformPreview runs the transform document on the sample input
 * through POST /admin/v1/transforms:preview, debounced: one request per
 * pause in typing, not one per key. Text that is not JSON is reported
 * without a request.
 */
export function useTransformPreview(docText: string, inputText: string, enabled: boolean, delayMs = 300): Preview {
  const joined = JSON.stringify([docText, inputText]);
  const [debounced] = useDebouncedValue(joined, delayMs);
  const [d, i] = JSON.parse(debounced) as [string, string];
  const doc = parse(d);
  const input = parse(i);
  const ok = doc.ok && input.ok;
  const q = useQuery({
    queryKey: ['transform-preview', debounced],
    queryFn: async ({ signal }): Promise<{ result?: PreviewResult; problems: FieldError[] }> => {
      try {
        const result = await request<PreviewResult>('POST', '/transforms:preview', {
          body: { transform: doc.ok ? doc.value : null, input: input.ok ? input.value : null },
          signal,
        });
        return { result, problems: [] };
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) return { problems: e.fieldErrors.length ? e.fieldErrors : [{ pointer: '', detail: e.message }] };
        throw e;
      }
    },
    enabled: enabled && ok,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
  const now = { doc: parse(docText), input: parse(inputText) };
  const syntax = !now.doc.ok
    ? { field: 'document' as const, detail: now.doc.detail }
    : !now.input.ok
      ? { field: 'input' as const, detail: now.input.detail }
      : undefined;
  return {
    result: syntax ? undefined : q.data?.result,
    problems: syntax ? [] : (q.data?.problems ?? []),
    syntax,
    checking: enabled && !syntax && (joined !== debounced || q.isFetching),
    error: q.error ?? undefined,
  };
}
