import { Alert, Anchor, Badge, Button, Code, Group, List, Modal, NumberInput, Stack, Table, Text } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useModules } from '../api/hooks';
import type { ModuleSweep, StoredModule } from '../api/types';
import { Can } from '../auth/session';
import { Card, ErrorAlert, fmtTime } from '../components/common';
import { ItemTable } from '../components/ResourceList';
import { FieldErrors } from '../lib/problem';

const fmtSize = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/**
 * TransformModules lists the tenant's stored WebAssembly modules with the
 * transforms using each; admins sweep the unused ones (a dry run first).
 */
export function TransformModules() {
  const list = useModules();
  const [sweeping, setSweeping] = useState(false);
  return (
    <Card
      title="WebAssembly modules"
      actions={
        <Can do="sweepModules">
          <Button size="xs" variant="light" color="red" leftSection={<IconTrash size={14} />} onClick={() => setSweeping(true)}>
            Sweep unused modules
          </Button>
        </Can>
      }
    >
      <Text size="sm" c="dimmed" mb="sm">
        Stored once per content (sha256). A module no transform uses any more can be swept; versions and drafts never run it.
      </Text>
      <ErrorAlert error={list.error} />
      <ItemTable
        list={list}
        label="WebAssembly modules"
        empty="No modules stored."
        columns={[{ label: 'sha256' }, { label: 'Size' }, { label: 'Stored' }, { label: 'Used by' }]}
        rowKey={(m) => m.sha256}
        row={(m) => (
          <>
            <Table.Td>
              <Code title={m.sha256}>{m.sha256.slice(0, 16)}…</Code>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{fmtSize(m.size)}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed">
                {fmtTime(m.createdAt)}
              </Text>
            </Table.Td>
            <Table.Td>
              <UsedBy m={m} />
            </Table.Td>
          </>
        )}
      />
      <Modal opened={sweeping} onClose={() => setSweeping(false)} title="Sweep unused modules" size="lg">
        {sweeping && <SweepForm onClose={() => setSweeping(false)} />}
      </Modal>
    </Card>
  );
}

function UsedBy({ m }: { m: StoredModule }) {
  if (!m.usedBy?.length)
    return (
      <Badge color="gray" variant="outline" radius="sm">
        unused
      </Badge>
    );
  return (
    <Group gap={6}>
      {m.usedBy.map((t) => (
        <Anchor key={t} component={Link} to={`/transforms/${seg(t)}`} size="sm">
          {t}
        </Anchor>
      ))}
    </Group>
  );
}

/** SweepForm asks for the grace period, previews the sweep (dry run), then sweeps. */
export function SweepForm({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [hours, setHours] = useState<number | ''>(24);
  const sweep = useMutation({
    mutationFn: (dryRun: boolean) => api.post<ModuleSweep>('/transform-modules:sweep', { ...(dryRun ? { dryRun } : {}), ...(hours === '' ? {} : { graceSeconds: Math.round(hours * 3600) }) }),
    onSuccess: (_, dryRun) => {
      if (!dryRun) void qc.invalidateQueries({ queryKey: keys.modules });
    },
  });
  const errors = sweep.error instanceof ApiError ? sweep.error.fieldErrors : [];
  const fe = new FieldErrors(errors);
  const res = sweep.data;
  const deleted = res?.deleted ?? [];
  const done = res && sweep.variables === false;
  return (
    <Stack>
      <Text size="sm">
        Deletes the modules no transform uses that were stored longer ago than the grace period. Each deletion is audited; a module an upload takes
        meanwhile is kept.
      </Text>
      <NumberInput
        label="Grace period (hours)"
        description="Unused modules younger than this are kept; at least 5 minutes, 24 hours if empty."
        value={hours}
        onChange={(v) => {
          sweep.reset();
          setHours(v === '' ? '' : Number(v));
        }}
        min={0}
        allowNegative={false}
        step={1}
        decimalScale={2}
        error={fe.at('/graceSeconds')}
        w={260}
      />
      <ErrorAlert error={sweep.error && errors.length === 0 ? sweep.error : undefined} fieldErrors={fe.unclaimed(['/graceSeconds'])} />
      {res && (
        <Alert role="status" variant="light" color={done ? 'green' : 'blue'} title={done ? `Deleted ${deleted.length} module${deleted.length === 1 ? '' : 's'}` : `A sweep would delete ${deleted.length} module${deleted.length === 1 ? '' : 's'}`}>
          {deleted.length > 0 && (
            <List size="sm">
              {deleted.map((m) => (
                <List.Item key={m.sha256}>
                  <Code>{m.sha256.slice(0, 16)}…</Code> {fmtSize(m.size)}
                </List.Item>
              ))}
            </List>
          )}
          <Text size="sm">
            {(res.kept ?? []).length} kept ({(res.kept ?? []).filter((m) => !m.usedBy?.length).length} unused but within the grace period).
          </Text>
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          {done ? 'Close' : 'Cancel'}
        </Button>
        <Button variant="light" loading={sweep.isPending && sweep.variables === true} disabled={sweep.isPending} onClick={() => sweep.mutate(true)}>
          Preview (dry run)
        </Button>
        <Button color="red" loading={sweep.isPending && sweep.variables === false} disabled={sweep.isPending || !!done} onClick={() => sweep.mutate(false)}>
          Delete unused modules
        </Button>
      </Group>
    </Stack>
  );
}
