import { Alert, Badge, Button, Center, Group, List, Loader, Modal, Paper, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { FieldError, VersionStatus } from '../api/types';
import { pointerLabel } from '../lib/problem';

const statusColor: Record<VersionStatus, string> = {
  draft: 'gray',
  published: 'green',
  deprecated: 'orange',
  retired: 'red',
};

export function StatusBadge({ status }: { status: VersionStatus | undefined }) {
  const s = status ?? 'draft';
  return (
    <Badge color={statusColor[s]} variant="light" radius="sm">
      {s}
    </Badge>
  );
}

export function PageHeader({ title, description, actions }: { title: ReactNode; description?: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" mb="lg" wrap="nowrap">
      <Stack gap={4}>
        <Title order={2}>{title}</Title>
        {description && (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        )}
      </Stack>
      {actions && <Group gap="sm">{actions}</Group>}
    </Group>
  );
}

export function Card({ children, title, actions }: { children: ReactNode; title?: ReactNode; actions?: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md" shadow="xs">
      {(title || actions) && (
        <Group justify="space-between" mb="sm">
          {title && (
            <Title order={3} size="h5">
              {title}
            </Title>
          )}
          {actions}
        </Group>
      )}
      {children}
    </Paper>
  );
}

/** ErrorAlert shows a failed request: its problem title and detail, the error id, and any field errors not shown elsewhere. */
export function ErrorAlert({ error, fieldErrors, title }: { error?: unknown; fieldErrors?: FieldError[]; title?: string }) {
  if (!error && !fieldErrors?.length) return null;
  const p = error instanceof ApiError ? error.problem : undefined;
  const heading = title ?? p?.title ?? 'Something went wrong';
  const detail = p ? p.detail : error instanceof Error ? error.message : undefined;
  return (
    <Alert color="red" variant="light" title={heading} icon={<IconAlertTriangle size={18} />}>
      {detail && <Text size="sm">{detail}</Text>}
      {fieldErrors && fieldErrors.length > 0 && (
        <List size="sm" mt={4}>
          {fieldErrors.map((e) => (
            <List.Item key={e.pointer + e.detail}>
              <Text span fw={600} size="sm">
                {pointerLabel(e.pointer)}
              </Text>
              : {e.detail}
            </List.Item>
          ))}
        </List>
      )}
      {p?.errorId && (
        <Text size="xs" c="dimmed" mt={4}>
          Error id {p.errorId}
        </Text>
      )}
    </Alert>
  );
}

/** Confirm is a button that asks before doing something consequential. */
export function Confirm({
  label,
  title,
  message,
  confirmLabel,
  color = 'blue',
  variant = 'light',
  onConfirm,
  size = 'xs',
}: {
  label: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: string;
  variant?: 'light' | 'filled' | 'subtle' | 'default' | 'outline';
  onConfirm: () => Promise<unknown>;
  size?: 'xs' | 'sm';
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  return (
    <>
      <Button size={size} color={color} variant={variant} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Stack>
          <Text size="sm">{message}</Text>
          <ErrorAlert error={err} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              color={color}
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setErr(null);
                try {
                  await onConfirm();
                  setOpen(false);
                } catch (e) {
                  setErr(e);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** PageLoading is what a page shows while its data loads. */
export function PageLoading() {
  return (
    <Center py="xl">
      <Loader size="sm" aria-label="Loading" />
    </Center>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" size="sm" ta="center" py="xl">
      {children}
    </Text>
  );
}

export function fmtTime(s: string | undefined): string {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}
