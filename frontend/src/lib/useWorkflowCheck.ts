import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError, request } from '../api/client';
import type { FieldError, Validation } from '../api/types';

export type CheckAnswer = Validation | { unavailable: true; detail: string };

/**
 * useWorkflowCheck asks the server about a draft workflow as it is edited,
 * debounced, like useDryRun does for the other documents: POST
 * /admin/v1/validate/workflow, whose answer (or 400) carries the pointers
 * of every problem. A server without that route (404/405) is reported as
 * such, not as a valid workflow: saving then checks, with the same pointers.
 */
export function useWorkflowCheck(doc: unknown, enabled: boolean, delayMs = 400) {
  const body = JSON.stringify(doc);
  const [debounced] = useDebouncedValue(body, delayMs);
  // Once the server says it has no such route, stop asking.
  const [missing, setMissing] = useState<string>();
  const q = useQuery({
    queryKey: ['validate', 'workflow', debounced],
    queryFn: async ({ signal }): Promise<CheckAnswer> => {
      try {
        return await request<Validation>('POST', '/validate/workflow', { body: JSON.parse(debounced), signal });
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) return { valid: false, errors: e.fieldErrors };
        if (e instanceof ApiError && (e.status === 404 || e.status === 405))
          return { unavailable: true, detail: e.problem.detail ?? 'no validate route for workflows' };
        throw e;
      }
    },
    enabled: enabled && !missing,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
  const a = enabled ? q.data : undefined;
  const unavailable = missing ?? (a && 'unavailable' in a ? a.detail : undefined);
  useEffect(() => {
    if (a && 'unavailable' in a) setMissing(a.detail);
  }, [a]);
  const errors: FieldError[] = a && !('unavailable' in a) ? (a.errors ?? []) : [];
  return {
    errors,
    /** Set when the server has no live check for workflows. */
    unavailable,
    checked: !!a && !unavailable,
    checking: enabled && !unavailable && (q.isFetching || body !== debounced),
    error: q.error,
  };
}
