import { Alert, Anchor, Badge, Button, Code, Group, List, Modal, Stack, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { IconInfoCircle, IconRefresh } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useDeliveries, useWebhooks } from '../api/hooks';
import type { CreatedWebhook, DeliveryAttempt, Page, WebhookDelivery, WebhookSubscription } from '../api/types';
import { Can } from '../auth/session';
import { Card, Confirm, ErrorAlert, fmtTime } from '../components/common';
import { ItemTable, ResourceList } from '../components/ResourceList';
import { SecretOnce, type Secret } from '../components/SecretOnce';
import { FieldErrors } from '../lib/problem';

/** The event types Portico emits (model.EventConfigChanged, EventWebhookTest, EventAll). */
export const EVENT_TYPES = ['config.changed', 'webhook.test', '*'];

const stateColor: Record<string, string> = { delivered: 'green', failed: 'red', pending: 'orange', skipped: 'gray' };

/**
 * Webhooks lists the tenant's outbound subscriptions (admins create and
 * delete them; the signing secret is shown once) and, for the one picked,
 * its delivery log with each attempt, and a redelivery for admins.
 */
export function Webhooks() {
  const list = useWebhooks();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Secret | null>(null);
  const selectedId = params.get('subscription');
  const selected = list.data?.items.find((s) => s.id === selectedId);
  const pick = (id: string | null) => setParams(id ? { subscription: id } : {}, { replace: true });
  return (
    <>
      <ResourceList
        title="Webhooks"
        description={
          <>
            Portico sends signed events (Standard Webhooks) to these URLs: <Code>config.changed</Code> after every committed configuration change, or{' '}
            <Code>*</Code> for every event type. Failed deliveries are retried for about a day.
          </>
        }
        create={{ label: 'New subscription', role: 'manageWebhooks', onClick: () => setCreating(true) }}
        list={list}
        label="Webhook subscriptions"
        empty="No subscriptions yet."
        columns={[{ label: 'URL' }, { label: 'Events' }, { label: 'Status' }, { label: 'Created' }, { w: 220 }]}
        rowKey={(s) => s.id}
        row={(s) => (
          <>
            <Table.Td>
              <Text size="sm" fw={600} className="mono" style={{ wordBreak: 'break-all' }}>
                {s.url}
              </Text>
              <Text size="xs" c="dimmed">
                {s.description ? `${s.description} · ` : ''}
                {s.id}
              </Text>
            </Table.Td>
            <Table.Td>
              <Group gap={4}>
                {s.events.map((e) => (
                  <Badge key={e} variant="light" color="gray" radius="sm" tt="none" ff="monospace">
                    {e === '*' ? '* (all)' : e}
                  </Badge>
                ))}
              </Group>
            </Table.Td>
            <Table.Td>
              {s.disabled ? (
                <Badge color="gray" variant="outline" radius="sm">
                  disabled
                </Badge>
              ) : (
                <Badge color="green" variant="light" radius="sm">
                  active
                </Badge>
              )}
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed">
                {fmtTime(s.createdAt)}
              </Text>
            </Table.Td>
            <Table.Td>
              <Group gap={4} wrap="nowrap">
                <Button
                  size="xs"
                  variant={s.id === selectedId ? 'filled' : 'light'}
                  aria-label={`Delivery log of ${s.url}`}
                  aria-pressed={s.id === selectedId}
                  onClick={() => pick(s.id === selectedId ? null : s.id)}
                >
                  Delivery log
                </Button>
                <Can do="manageWebhooks">
                  <Confirm
                    label="Delete"
                    variant="subtle"
                    color="red"
                    title="Delete this subscription?"
                    message={
                      <>
                        <Code>{s.url}</Code> gets no more events, and its delivery log goes with it.
                      </>
                    }
                    confirmLabel="Delete subscription"
                    onConfirm={async () => {
                      await api.del(`/webhooks/${seg(s.id)}`);
                      if (s.id === selectedId) pick(null);
                      await qc.invalidateQueries({ queryKey: keys.webhooks });
                    }}
                  />
                </Can>
              </Group>
            </Table.Td>
          </>
        )}
      />
      {selected && (
        <div style={{ marginTop: 'var(--mantine-spacing-lg)' }}>
          <DeliveryLog subscription={selected} />
        </div>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="New webhook subscription" size="lg">
        {creating && (
          <WebhookForm
            onCancel={() => setCreating(false)}
            onCreated={(w) => {
              setCreating(false);
              pick(w.id);
              setSecret({
                what: 'Signing secret',
                value: w.secret,
                details: (
                  <Text size="sm">
                    Deliveries to <Code>{w.url}</Code> are signed with it: check each request's <Code>webhook-signature</Code> header against it
                    (Standard Webhooks), and drop repeated <Code>webhook-id</Code>s.
                  </Text>
                ),
              });
            }}
          />
        )}
      </Modal>
      <SecretOnce secret={secret} onClose={() => setSecret(null)} />
    </>
  );
}

/** WebhookForm creates a subscription; the answer carries the signing secret, once. */
export function WebhookForm({ onCreated, onCancel }: { onCreated: (w: CreatedWebhook) => void; onCancel: () => void }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['config.changed']);
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () => api.post<CreatedWebhook>('/webhooks', { url, events, ...(description ? { description } : {}) }),
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: keys.webhooks });
      onCreated(w);
    },
  });
  const errors = create.error instanceof ApiError ? create.error.fieldErrors : [];
  const fe = new FieldErrors(errors);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    create.reset();
    set(v);
  };
  return (
    <form onSubmit={submit} noValidate aria-label="New webhook subscription">
      <Stack>
        <TextInput
          label="URL"
          description="An http(s) URL Portico can reach: private and internal addresses are refused."
          placeholder="https://hooks.example.com/portico"
          value={url}
          onChange={(e) => edit(setUrl)(e.currentTarget.value)}
          error={fe.at('/url')}
          classNames={{ input: 'mono' }}
          required
          data-autofocus
        />
        <TagsInput
          label="Event types"
          description="Pick or type dotted event types; * subscribes to all of them."
          data={EVENT_TYPES}
          value={events}
          onChange={edit(setEvents)}
          error={fe.under('/events')}
          required
        />
        <TextInput label="Description" value={description} onChange={(e) => edit(setDescription)(e.currentTarget.value)} error={fe.at('/description')} />
        <ErrorAlert error={create.error && errors.length === 0 ? create.error : undefined} fieldErrors={fe.unclaimed(['/url', '/events', '/description'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending} disabled={url === '' || events.length === 0}>
            Create subscription
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={stateColor[state] ?? 'gray'} variant="light" radius="sm">
      {state}
    </Badge>
  );
}

function AttemptLine({ a, n }: { a: DeliveryAttempt; n: number }) {
  const ok = !!a.status && a.status >= 200 && a.status < 300;
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Text size="xs" c="dimmed" w={20} ta="right">
        {n}.
      </Text>
      <Badge size="sm" radius="sm" variant="light" color={ok ? 'green' : 'red'} w={84} ff="monospace">
        {a.status ? `HTTP ${a.status}` : 'no answer'}
      </Badge>
      <Text size="xs" w={64}>
        {a.durationMs} ms
      </Text>
      <Text size="xs" c="dimmed">
        {fmtTime(a.at)}
      </Text>
      {a.error && (
        <Text size="xs" c="red.8" style={{ wordBreak: 'break-word' }}>
          {a.error}
        </Text>
      )}
    </Group>
  );
}

/** DeliveryLog is one subscription's deliveries, newest first (kept 7 days). */
export function DeliveryLog({ subscription }: { subscription: WebhookSubscription }) {
  const list = useDeliveries(subscription.id);
  const qc = useQueryClient();
  const [result, setResult] = useState<{ id: string; error?: unknown; delivery?: WebhookDelivery } | null>(null);
  const redeliver = useMutation({
    mutationFn: (d: WebhookDelivery) => api.post<WebhookDelivery>(`/webhooks/${seg(subscription.id)}/deliveries/${seg(d.id)}/retry`),
    onMutate: () => setResult(null),
    onSuccess: (d) => {
      setResult({ id: d.id, delivery: d });
      qc.setQueryData<Page<WebhookDelivery>>(keys.deliveries(subscription.id), (p) => (p ? { ...p, items: p.items.map((x) => (x.id === d.id ? d : x)) } : p));
    },
    onError: (error, d) => setResult({ id: d.id, error }),
  });
  const last = (d: WebhookDelivery) => d.attempts?.at(-1);
  return (
    <Card
      title={
        <>
          Delivery log of <Code>{subscription.url}</Code>
        </>
      }
      actions={
        <Button size="xs" variant="subtle" leftSection={<IconRefresh size={14} />} loading={list.isFetching} onClick={() => void list.refetch()}>
          Refresh
        </Button>
      }
    >
      <Alert variant="light" color="gray" icon={<IconInfoCircle size={18} />} p="xs" mb="sm" role="note">
        <Text size="xs">
          One entry per event, with every attempt (the same <Code>webhook-id</Code> each time). Pending ones are retried on a schedule for about a day, then
          fail; skipped ones were meant for a subscription that no longer wanted them. Kept 7 days.
        </Text>
      </Alert>
      <ErrorAlert error={list.error} />
      {result && (
        <div role="status" aria-live="polite" style={{ marginBottom: 'var(--mantine-spacing-sm)' }}>
          {result.delivery ? (
            <Alert variant="light" color={result.delivery.state === 'delivered' ? 'green' : 'orange'} p="xs">
              <Text size="sm">
                Redelivered <Code>{result.id}</Code>: {result.delivery.state}
                {last(result.delivery)?.status ? ` (HTTP ${last(result.delivery)?.status})` : last(result.delivery)?.error ? ` (${last(result.delivery)?.error})` : ''}.
              </Text>
            </Alert>
          ) : (
            <ErrorAlert error={result.error} title={`Could not redeliver ${result.id}`} />
          )}
        </div>
      )}
      <ItemTable
        list={list}
        label={`Deliveries to ${subscription.url}`}
        empty="No deliveries yet: they appear here when an event this subscription wants happens."
        columns={[{ label: 'Event' }, { label: 'State' }, { label: 'Attempts' }, { w: 120 }]}
        rowKey={(d) => d.id}
        row={(d) => (
          <>
            <Table.Td style={{ verticalAlign: 'top' }}>
              <Text size="sm" fw={600} className="mono">
                {d.eventType}
              </Text>
              <Text size="xs" c="dimmed" className="mono">
                {d.id}
              </Text>
              <Text size="xs" c="dimmed">
                {fmtTime(d.createdAt)}
              </Text>
            </Table.Td>
            <Table.Td style={{ verticalAlign: 'top' }}>
              <StateBadge state={d.state} />
            </Table.Td>
            <Table.Td>
              {d.attempts && d.attempts.length > 0 ? (
                <List listStyleType="none" spacing={4} aria-label={`Attempts of ${d.id}`}>
                  {d.attempts.map((a, i) => (
                    <List.Item key={i}>
                      <AttemptLine a={a} n={i + 1} />
                    </List.Item>
                  ))}
                </List>
              ) : (
                <Text size="xs" c="dimmed">
                  {d.state === 'skipped' ? 'Not sent.' : 'None yet.'}
                </Text>
              )}
            </Table.Td>
            <Table.Td style={{ verticalAlign: 'top' }}>
              <Can do="redeliverWebhook">
                <Button
                  size="xs"
                  variant="light"
                  aria-label={`Redeliver ${d.id}`}
                  loading={redeliver.isPending && redeliver.variables?.id === d.id}
                  disabled={redeliver.isPending}
                  onClick={() => redeliver.mutate(d)}
                >
                  Redeliver
                </Button>
              </Can>
            </Table.Td>
          </>
        )}
      />
      <Text size="xs" c="dimmed" mt="xs">
        Receivers: see <Anchor href="https://www.standardwebhooks.com/" target="_blank" rel="noreferrer" size="xs" underline="always">Standard Webhooks</Anchor> for checking the
        signature.
      </Text>
    </Card>
  );
}
