import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { ApiError, request } from '../api/client';
import type { Validation } from '../api/types';
import { FieldErrors } from './problem';

export type ValidateKind = 'api' | 'version' | 'endpoint' | 'integration' | 'consumer' | 'member';

/**
 * useDryRun asks the server's validate route (POST /admin/v1/validate/{kind})
 * about a draft document, debounced, and returns its field errors. A body the
 * server cannot decode answers 400 with pointers too; those are mapped alike.
 */
export function useDryRun(kind: ValidateKind, doc: unknown, enabled: boolean, delayMs = 300) {
  const body = JSON.stringify(doc);
  const [debounced] = useDebouncedValue(body, delayMs);
  const q = useQuery({
    queryKey: ['validate', kind, debounced],
    queryFn: async ({ signal }): Promise<Validation> => {
      try {
        return await request<Validation>('POST', `/validate/${kind}`, { body: JSON.parse(debounced), signal });
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) return { valid: false, errors: e.fieldErrors };
        throw e;
      }
    },
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  });
  return {
    errors: new FieldErrors(enabled ? (q.data?.errors ?? []) : []),
    valid: q.data?.valid ?? false,
    checking: enabled && (q.isFetching || body !== debounced),
  };
}
