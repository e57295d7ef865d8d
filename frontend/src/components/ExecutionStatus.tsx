import { Badge } from '@mantine/core';
import type { ExecutionStatus } from '../api/types';

/** The colour of each execution status, in badges and filters. */
export const statusColor: Record<ExecutionStatus, string> = { RUNNING: 'blue', SUCCEEDED: 'green', FAILED: 'red', TIMED_OUT: 'orange', ABORTED: 'gray' };

export function ExecutionStatusBadge({ status }: { status: ExecutionStatus }) {
  return (
    <Badge color={statusColor[status] ?? 'gray'} variant="light" radius="sm">
      {status.replace('_', ' ').toLowerCase()}
    </Badge>
  );
}

/** duration formats the time between two instants ("120 ms", "3.4 s", "2 min 5 s"). */
export function duration(from: string, to: string | undefined): string {
  if (!to) return '—';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

