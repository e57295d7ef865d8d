import { ActionIcon, Badge, Button, Group, Modal, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, Table, TagsInput, Text, TextInput, Textarea, Tooltip } from '@mantine/core';
import { IconPencil, IconPlayerPlay } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, api, seg } from '../api/client';
import { keys, useIntegrations, useSecrets } from '../api/hooks';
import type { Integration, IntegrationAuth, IntegrationAuthType, IntegrationHealth } from '../api/types';
import { Can } from '../auth/session';
import { Confirm, ErrorAlert } from '../components/common';
import { ResourceList } from '../components/ResourceList';
import { FieldErrors } from '../lib/problem';
import { useDryRun } from '../lib/useDryRun';
import { TestConnection } from './IntegrationTest';

export function Integrations() {
  const list = useIntegrations();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<Integration | 'new' | null>(null);
  const [testing, setTesting] = useState<Integration | null>(null);
  return (
    <>
      <ResourceList
        title="Integrations"
        description="Upstream HTTP and GraphQL services your endpoints call, with their timeouts, retries and circuit breakers."
        create={{ label: 'New integration', role: 'editIntegration', onClick: () => setEditing('new') }}
        list={list}
        empty="No integrations yet."
        columns={[{ label: 'Name' }, { label: 'Type' }, { label: 'URL' }, { label: 'Resilience' }, { label: 'Breaker' }, { w: 130 }]}
        rowKey={(i) => i.slug}
        row={(i) => (
          <>
            <Table.Td>
              <Text fw={600} size="sm">
                {i.name}
              </Text>
              <Text size="xs" c="dimmed">
                {i.slug}
              </Text>
            </Table.Td>
            <Table.Td>
              <Badge variant="light" radius="sm" color={i.type === 'graphql' ? 'pink' : 'blue'}>
                {i.type === 'graphql' ? 'GraphQL' : 'HTTP'}
              </Badge>
            </Table.Td>
            <Table.Td>
              <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {i.url}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="xs" c="dimmed">
                {[
                  i.timeoutMs ? `timeout ${i.timeoutMs} ms` : 'default timeout',
                  i.retry ? `${i.retry.maxAttempts} attempts` : null,
                  i.circuitBreaker ? `breaker ${Math.round(i.circuitBreaker.failureRatio * 100)}%` : null,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </Text>
            </Table.Td>
            <Table.Td>
              <HealthBadge slug={i.slug} />
            </Table.Td>
            <Table.Td>
              <Group gap={4} wrap="nowrap">
                <Can do="testIntegration">
                  <Tooltip label="Test connection">
                    <ActionIcon variant="subtle" aria-label={`Test connection to ${i.name}`} onClick={() => setTesting(i)}>
                      <IconPlayerPlay size={16} />
                    </ActionIcon>
                  </Tooltip>
                </Can>
                <Can do="editIntegration">
                  <Tooltip label="Edit">
                    <ActionIcon variant="subtle" aria-label={`Edit ${i.name}`} onClick={() => setEditing(i)}>
                      <IconPencil size={16} />
                    </ActionIcon>
                  </Tooltip>
                </Can>
                <Can do="deleteIntegration">
                  <Confirm
                    label="Delete"
                    variant="subtle"
                    color="red"
                    title={`Delete ${i.name}?`}
                    message="Endpoints that use it must be changed first; the server refuses otherwise."
                    confirmLabel="Delete"
                    onConfirm={async () => {
                      await api.del(`/integrations/${seg(i.slug)}`);
                      await qc.invalidateQueries({ queryKey: keys.integrations });
                    }}
                  />
                </Can>
              </Group>
            </Table.Td>
          </>
        )}
      />
      <Modal opened={testing !== null} onClose={() => setTesting(null)} title={testing ? `Test connection: ${testing.name}` : ''} size="lg">
        {testing !== null && <TestConnection integration={testing} />}
      </Modal>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New integration' : 'Edit integration'} size="xl">
        {editing !== null && <IntegrationForm initial={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </>
  );
}

const claimed = ['/slug', '/name', '/type', '/url', '/method', '/timeoutMs', '/retry', '/circuitBreaker', '/graphql', '/auth'];

const num = (v: string | number) => (typeof v === 'number' ? v : Number(v) || 0);

/** IntegrationForm creates or edits an HTTP or GraphQL upstream, checked by the server as you type. */
export function IntegrationForm({ initial, onDone }: { initial?: Integration; onDone: () => void }) {
  const qc = useQueryClient();
  const [doc, setDoc] = useState<Integration>(() => initial ?? { slug: '', name: '', type: 'http', url: 'https://', timeoutMs: 5000 });
  const [touched, setTouched] = useState(!!initial);
  const dry = useDryRun('integration', doc, touched);
  const save = useMutation({
    mutationFn: (d: Integration) => (initial ? api.put<Integration>(`/integrations/${seg(initial.slug)}`, d) : api.post<Integration>('/integrations', d)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.integrations });
      onDone();
    },
  });
  const submitErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = submitErrors.length ? new FieldErrors(submitErrors) : dry.errors;
  const set = (f: (d: Integration) => Integration) => {
    setTouched(true);
    save.reset();
    setDoc(f);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(doc);
  };
  return (
    <form onSubmit={submit} noValidate aria-label={initial ? 'Edit integration' : 'New integration'}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Name" value={doc.name} onChange={(e) => { const v = e.currentTarget.value; set((d) => ({ ...d, name: v })); }} error={fe.at('/name')} required data-autofocus />
          <TextInput label="Slug" value={doc.slug} onChange={(e) => { const v = e.currentTarget.value; set((d) => ({ ...d, slug: v })); }} error={fe.at('/slug')} required disabled={!!initial} />
        </SimpleGrid>
        <Stack gap={4}>
          <Text size="sm" fw={500} id="int-type">
            Type
          </Text>
          <SegmentedControl
            aria-labelledby="int-type"
            value={doc.type}
            onChange={(v) =>
              set((d) => {
                const n: Integration = { ...d, type: v as Integration['type'] };
                if (v === 'graphql') n.graphql = d.graphql ?? { query: '' };
                else delete n.graphql;
                return n;
              })
            }
            data={[
              { value: 'http', label: 'HTTP' },
              { value: 'graphql', label: 'GraphQL' },
            ]}
            w={240}
          />
        </Stack>
        <Group align="flex-start" wrap="nowrap">
          <TextInput style={{ flex: 1 }} label="URL" value={doc.url} onChange={(e) => { const v = e.currentTarget.value; set((d) => ({ ...d, url: v })); }} error={fe.at('/url')} classNames={{ input: 'mono' }} required />
          <Select
            label="Method"
            description="Empty keeps the caller's"
            w={160}
            clearable
            data={['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']}
            value={doc.method ?? null}
            onChange={(v) => set((d) => ({ ...d, method: v ?? undefined }))}
            error={fe.at('/method')}
          />
        </Group>
        {doc.type === 'graphql' && (
          <Textarea
            label="GraphQL query"
            classNames={{ input: 'mono' }}
            autosize
            minRows={4}
            value={doc.graphql?.query ?? ''}
            onChange={(e) => { const v = e.currentTarget.value; set((d) => ({ ...d, graphql: { ...(d.graphql ?? {}), query: v } })); }}
            error={fe.under('/graphql')}
            required
          />
        )}
        <AuthFields auth={doc.auth} onChange={(auth) => set((d) => ({ ...d, auth }))} fe={fe} />
        <NumberInput label="Timeout (ms)" description="0 uses the default" w={200} value={doc.timeoutMs ?? 0} onChange={(v) => set((d) => ({ ...d, timeoutMs: num(v) || undefined }))} error={fe.at('/timeoutMs')} allowDecimal={false} min={0} />
        <Switch
          label="Retry failed calls"
          checked={!!doc.retry}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            set((d) => ({ ...d, retry: on ? { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000, retryOn: [502, 503, 504] } : undefined }));
          }}
        />
        {doc.retry && (
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <NumberInput label="Max attempts" value={doc.retry.maxAttempts} onChange={(v) => set((d) => ({ ...d, retry: { ...d.retry!, maxAttempts: num(v) } }))} error={fe.at('/retry/maxAttempts')} allowDecimal={false} />
            <NumberInput label="Base delay (ms)" value={doc.retry.baseDelayMs ?? 0} onChange={(v) => set((d) => ({ ...d, retry: { ...d.retry!, baseDelayMs: num(v) } }))} error={fe.at('/retry/baseDelayMs')} allowDecimal={false} />
            <NumberInput label="Max delay (ms)" value={doc.retry.maxDelayMs ?? 0} onChange={(v) => set((d) => ({ ...d, retry: { ...d.retry!, maxDelayMs: num(v) } }))} error={fe.at('/retry/maxDelayMs')} allowDecimal={false} />
            <TagsInput
              label="Retry on status"
              value={(doc.retry.retryOn ?? []).map(String)}
              onChange={(v) => set((d) => ({ ...d, retry: { ...d.retry!, retryOn: v.map(Number) } }))}
              error={fe.under('/retry/retryOn')}
            />
          </SimpleGrid>
        )}
        <Switch
          label="Circuit breaker"
          checked={!!doc.circuitBreaker}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            set((d) => ({ ...d, circuitBreaker: on ? { failureRatio: 0.5, minRequests: 20, openSeconds: 30 } : undefined }));
          }}
        />
        {doc.circuitBreaker && (
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput label="Failure ratio" description="0–1" step={0.05} decimalScale={2} value={doc.circuitBreaker.failureRatio} onChange={(v) => set((d) => ({ ...d, circuitBreaker: { ...d.circuitBreaker!, failureRatio: num(v) } }))} error={fe.at('/circuitBreaker/failureRatio')} />
            <NumberInput label="Min requests" value={doc.circuitBreaker.minRequests} onChange={(v) => set((d) => ({ ...d, circuitBreaker: { ...d.circuitBreaker!, minRequests: num(v) } }))} error={fe.at('/circuitBreaker/minRequests')} allowDecimal={false} />
            <NumberInput label="Open for (s)" value={doc.circuitBreaker.openSeconds} onChange={(v) => set((d) => ({ ...d, circuitBreaker: { ...d.circuitBreaker!, openSeconds: num(v) } }))} error={fe.at('/circuitBreaker/openSeconds')} allowDecimal={false} />
          </SimpleGrid>
        )}
        <ErrorAlert error={save.error && submitErrors.length === 0 ? save.error : undefined} fieldErrors={fe.unclaimed(claimed)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {initial ? 'Save integration' : 'Create integration'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const authTypes: { value: IntegrationAuthType; label: string }[] = [
  { value: 'bearer', label: 'Bearer token' },
  { value: 'basic', label: 'Basic (user + password)' },
  { value: 'header', label: 'API key header' },
];

/**
 * AuthFields is an integration's upstream authentication: a type and a
 * tenant secret picked by name (the value stays on the server).
 */
function AuthFields({ auth, onChange, fe }: { auth?: IntegrationAuth; onChange: (a: IntegrationAuth | undefined) => void; fe: FieldErrors }) {
  // Only asked for once the block is on: most integrations need no secret.
  const secrets = useSecrets(!!auth);
  const names = (secrets.data?.items ?? []).map((s) => s.name);
  if (auth?.secret && !names.includes(auth.secret)) names.push(auth.secret);
  const patch = (p: Partial<IntegrationAuth>) => onChange({ ...(auth ?? { type: 'bearer', secret: '' }), ...p });
  return (
    <Stack gap="xs">
      <Switch
        label="Authenticate upstream with a secret"
        checked={!!auth}
        onChange={(e) => onChange(e.currentTarget.checked ? { type: 'bearer', secret: names[0] ?? '' } : undefined)}
      />
      {auth && (
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label="Scheme"
            data={authTypes}
            value={auth.type}
            allowDeselect={false}
            onChange={(v) => {
              const type = (v ?? 'bearer') as IntegrationAuthType;
              onChange({ type, secret: auth.secret, ...(type === 'header' ? { header: auth.header ?? 'X-Api-Key' } : {}), ...(type === 'basic' ? { username: auth.username ?? '' } : {}) });
            }}
            error={fe.at('/auth/type')}
          />
          <Select
            label="Secret"
            description={names.length === 0 ? 'Create one on the Secrets page first' : undefined}
            placeholder="Pick a secret"
            data={names}
            value={auth.secret || null}
            searchable
            onChange={(v) => patch({ secret: v ?? '' })}
            error={fe.at('/auth/secret')}
            required
          />
          {auth.type === 'header' && (
            <TextInput label="Header" value={auth.header ?? ''} onChange={(e) => { const v = e.currentTarget.value; patch({ header: v }); }} error={fe.at('/auth/header')} classNames={{ input: 'mono' }} required />
          )}
          {auth.type === 'basic' && (
            <TextInput label="Username" value={auth.username ?? ''} onChange={(e) => { const v = e.currentTarget.value; patch({ username: v }); }} error={fe.at('/auth/username')} required />
          )}
        </SimpleGrid>
      )}
    </Stack>
  );
}

const breakerColor: Record<IntegrationHealth['breaker'], string> = { none: 'gray', closed: 'green', 'half-open': 'orange', open: 'red' };

/** HealthBadge shows the breaker state as this instance sees it, refreshed while the page is open. */
export function HealthBadge({ slug }: { slug: string }) {
  const h = useQuery({
    queryKey: ['integrations', slug, 'health'],
    queryFn: ({ signal }) => api.get<IntegrationHealth>(`/integrations/${seg(slug)}/health`, signal),
    refetchInterval: 15_000,
    retry: false,
  });
  if (!h.data) return null;
  const d = h.data;
  const label = !d.observed ? 'not called yet' : d.breaker === 'none' ? 'no breaker' : d.breaker;
  const tip = d.observed ? `${d.requests} requests, ${d.failures} failures in the window; retry budget ${d.retryBudget.toFixed(1)} (${d.scope} view)` : `No call seen by this ${d.scope} yet.`;
  return (
    <Tooltip label={tip} withArrow multiline w={260}>
      <Badge variant="light" radius="sm" color={d.observed ? breakerColor[d.breaker] : 'gray'} tabIndex={0} aria-label={`Breaker ${label}: ${tip}`}>
        {label}
      </Badge>
    </Tooltip>
  );
}
