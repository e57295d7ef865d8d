import { ActionIcon, Alert, Anchor, Badge, Button, Code, Group, List, Menu, Modal, NumberInput, Stack, Switch, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { IconDots, IconInfoCircle, IconKey, IconPencil, IconRefresh, IconSend, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useDeliveries, useWebhooks } from '../api/hooks';
import type { InfiniteData } from '@tanstack/react-query';
import type { CreatedWebhook, DeliveryAttempt, Page, WebhookDelivery, WebhookSubscription, WebhookTestResult } from '../api/types';
import { Can } from '../auth/session';
import { Card, ErrorAlert, fmtTime } from '../components/common';
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
  const [action, setAction] = useState<{ kind: 'edit' | 'rotate' | 'delete'; sub: WebhookSubscription } | null>(null);
  const [tested, setTested] = useState<{ sub: WebhookSubscription; result?: WebhookTestResult; error?: unknown } | null>(null);
  const test = useMutation({
    mutationFn: (sub: WebhookSubscription) => api.post<WebhookTestResult>(`/webhooks/${seg(sub.id)}/test`),
    onMutate: (sub) => setTested({ sub }),
    onSuccess: (result, sub) => {
      setTested({ sub, result });
      void qc.invalidateQueries({ queryKey: keys.deliveries(sub.id) });
    },
    onError: (error, sub) => setTested({ sub, error }),
  });
  const closeAction = () => setAction(null);
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
              {s.previousSecretExpiresAt && Date.parse(s.previousSecretExpiresAt) > Date.now() && (
                <Text size="xs" c="dimmed" mt={4}>
                  previous secret signs too until {fmtTime(s.previousSecretExpiresAt)}
                </Text>
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
                <Can do="testWebhook">
                  <Button
                    size="xs"
                    variant="subtle"
                    leftSection={<IconSend size={14} />}
                    aria-label={`Send test to ${s.url}`}
                    loading={test.isPending && test.variables?.id === s.id}
                    disabled={test.isPending}
                    onClick={() => test.mutate(s)}
                  >
                    Send test
                  </Button>
                </Can>
                <Can do="manageWebhooks">
                  <Menu position="bottom-end" withinPortal>
                    <Menu.Target>
                      <ActionIcon variant="subtle" color="gray" aria-label={`Manage ${s.url}`}>
                        <IconDots size={16} />
                      </ActionIcon>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setAction({ kind: 'edit', sub: s })}>
                        Edit or pause
                      </Menu.Item>
                      <Menu.Item leftSection={<IconKey size={14} />} onClick={() => setAction({ kind: 'rotate', sub: s })}>
                        Rotate signing secret
                      </Menu.Item>
                      <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setAction({ kind: 'delete', sub: s })}>
                        Delete
                      </Menu.Item>
                    </Menu.Dropdown>
                  </Menu>
                </Can>
              </Group>
            </Table.Td>
          </>
        )}
      />
      {tested && <TestResultPanel tested={tested} pending={test.isPending} onClose={() => setTested(null)} />}
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
      <Modal opened={action?.kind === 'edit'} onClose={closeAction} title="Edit webhook subscription" size="lg">
        {action?.kind === 'edit' && <WebhookForm initial={action.sub} onCancel={closeAction} onSaved={closeAction} />}
      </Modal>
      <Modal opened={action?.kind === 'rotate'} onClose={closeAction} title="Rotate the signing secret">
        {action?.kind === 'rotate' && (
          <RotateForm
            sub={action.sub}
            onCancel={closeAction}
            onRotated={(w) => {
              closeAction();
              setSecret({
                what: 'New signing secret',
                value: w.secret,
                details: (
                  <Text size="sm">
                    Deliveries to <Code>{w.url}</Code> are signed with it now
                    {w.previousSecretExpiresAt ? <>, and with the previous secret too until {fmtTime(w.previousSecretExpiresAt)}</> : ''}: switch the receiver over
                    before then.
                  </Text>
                ),
              });
            }}
          />
        )}
      </Modal>
      <Modal opened={action?.kind === 'delete'} onClose={closeAction} title="Delete this subscription?" centered>
        {action?.kind === 'delete' && (
          <DeleteForm
            sub={action.sub}
            onCancel={closeAction}
            onDeleted={async () => {
              if (action.sub.id === selectedId) pick(null);
              if (tested?.sub.id === action.sub.id) setTested(null);
              closeAction();
              await qc.invalidateQueries({ queryKey: keys.webhooks });
            }}
          />
        )}
      </Modal>
      <SecretOnce secret={secret} onClose={() => setSecret(null)} />
    </>
  );
}

function DeleteForm({ sub, onCancel, onDeleted }: { sub: WebhookSubscription; onCancel: () => void; onDeleted: () => Promise<void> }) {
  const del = useMutation({ mutationFn: () => api.del(`/webhooks/${seg(sub.id)}`), onSuccess: onDeleted });
  return (
    <Stack>
      <Text size="sm">
        <Code>{sub.url}</Code> gets no more events, and its delivery log goes with it.
      </Text>
      <ErrorAlert error={del.error} />
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button color="red" loading={del.isPending} onClick={() => del.mutate()} data-autofocus>
          Delete subscription
        </Button>
      </Group>
    </Stack>
  );
}

/** RotateForm asks for how long the previous secret keeps signing, then rotates; the new secret comes back once. */
function RotateForm({ sub, onCancel, onRotated }: { sub: WebhookSubscription; onCancel: () => void; onRotated: (w: CreatedWebhook) => void }) {
  const qc = useQueryClient();
  const [hours, setHours] = useState<number | ''>(24);
  const rotate = useMutation({
    mutationFn: () => api.post<CreatedWebhook>(`/webhooks/${seg(sub.id)}/rotate-secret`, hours === '' ? {} : { graceSeconds: Math.round(hours * 3600) }),
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: keys.webhooks });
      onRotated(w);
    },
  });
  const errors = rotate.error instanceof ApiError ? rotate.error.fieldErrors : [];
  const fe = new FieldErrors(errors);
  return (
    <form
      aria-label="Rotate the signing secret"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        rotate.mutate();
      }}
    >
      <Stack>
        <Text size="sm">
          A new secret signs every delivery to <Code>{sub.url}</Code> from now on; deliveries carry both signatures while the previous secret is still valid,
          so the receiver can switch over without dropping any.
        </Text>
        <NumberInput
          label="Previous secret valid for (hours)"
          description="0 ends it now; at most 168 (7 days)."
          value={hours}
          onChange={(v) => {
            rotate.reset();
            setHours(v === '' ? '' : Number(v));
          }}
          min={0}
          max={168}
          decimalScale={2}
          allowNegative={false}
          error={fe.at('/graceSeconds')}
          w={280}
          data-autofocus
        />
        <ErrorAlert error={rotate.error && errors.length === 0 ? rotate.error : undefined} fieldErrors={fe.unclaimed(['/graceSeconds'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={rotate.isPending}>
            Rotate secret
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** TestResultPanel shows a test send: the receiver's status, time and the start of its answer. */
function TestResultPanel({ tested, pending, onClose }: { tested: { sub: WebhookSubscription; result?: WebhookTestResult; error?: unknown }; pending: boolean; onClose: () => void }) {
  const { sub, result, error } = tested;
  const r = result?.response;
  const attempt = result?.attempts?.at(-1);
  const ok = result?.state === 'delivered';
  return (
    <div role="status" aria-live="polite" style={{ marginTop: 'var(--mantine-spacing-lg)' }} data-testid="webhook-test-result">
      {pending ? (
        <Alert variant="light" color="blue" title={`Sending a test event to ${sub.url}…`} />
      ) : error ? (
        <ErrorAlert error={error} title={`The test event to ${sub.url} could not be sent`} />
      ) : (
        result && (
          <Alert
            variant="light"
            color={ok ? 'green' : 'red'}
            title={r ? `The receiver answered HTTP ${r.status} in ${r.durationMs} ms` : `No answer from the receiver${attempt ? ` after ${attempt.durationMs} ms` : ''}`}
            withCloseButton
            closeButtonLabel="Dismiss the test result"
            onClose={onClose}
          >
            <Stack gap={4}>
              <Text size="sm">
                Test event <Code>{result.eventType}</Code> <Code>{result.id}</Code> to <Code>{sub.url}</Code>: {result.state}
                {ok ? '.' : ': a real event would be retried.'}
              </Text>
              {!r && attempt?.error && (
                <Text size="sm" c="red.8">
                  {attempt.error}
                </Text>
              )}
              {r?.body && (
                <Code block aria-label="The receiver's answer" style={{ maxHeight: 160, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                  {r.body}
                  {r.truncated ? '\n…' : ''}
                </Code>
              )}
            </Stack>
          </Alert>
        )
      )}
    </div>
  );
}

/** WebhookForm creates a subscription; the answer carries the signing secret, once. */
export function WebhookForm({
  initial,
  onCreated,
  onSaved,
  onCancel,
}: {
  initial?: WebhookSubscription;
  onCreated?: (w: CreatedWebhook) => void;
  onSaved?: (w: WebhookSubscription) => void;
  onCancel: () => void;
}) {
  const qc = useQueryClient();
  const [url, setUrl] = useState(initial?.url ?? '');
  const [events, setEvents] = useState<string[]>(initial?.events ?? ['config.changed']);
  const [description, setDescription] = useState(initial?.description ?? '');
  const [disabled, setDisabled] = useState(!!initial?.disabled);
  const create = useMutation({
    mutationFn: () =>
      initial
        ? // PATCH sends what changed, with the revision read: a change made meanwhile is a 412, not overwritten.
          api.patch<WebhookSubscription>(`/webhooks/${seg(initial.id)}`, {
            revision: initial.revision,
            ...(url !== initial.url ? { url } : {}),
            ...(JSON.stringify(events) !== JSON.stringify(initial.events) ? { events } : {}),
            ...(description !== (initial.description ?? '') ? { description } : {}),
            ...(disabled !== !!initial.disabled ? { disabled } : {}),
          })
        : api.post<CreatedWebhook>('/webhooks', { url, events, ...(description ? { description } : {}) }),
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: keys.webhooks });
      if ('secret' in w) onCreated?.(w as CreatedWebhook);
      else onSaved?.(w);
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
    <form onSubmit={submit} noValidate aria-label={initial ? 'Edit webhook subscription' : 'New webhook subscription'}>
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
        {initial && (
          <Switch
            label="Paused"
            description="A paused subscription receives nothing: events meanwhile are not sent, not even once it resumes."
            checked={disabled}
            onChange={(e) => edit(setDisabled)(e.currentTarget.checked)}
          />
        )}
        <ErrorAlert error={create.error && errors.length === 0 ? create.error : undefined} fieldErrors={fe.unclaimed(['/url', '/events', '/description'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending} disabled={url === '' || events.length === 0}>
            {initial ? 'Save subscription' : 'Create subscription'}
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
      qc.setQueryData<InfiniteData<Page<WebhookDelivery>>>(keys.deliveries(subscription.id), (data) =>
        data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((x) => (x.id === d.id ? d : x)) })) } : data,
      );
    },
    onError: (error, d) => setResult({ id: d.id, error }),
  });
  const last = (d: WebhookDelivery) => d.attempts?.at(-1);
  const deliveries = { isPending: list.isPending, error: list.error, data: { items: list.data?.pages.flatMap((p) => p.items) ?? [] } };
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
        list={deliveries}
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
      {list.hasNextPage && (
        <Group justify="center" mt="sm">
          <Button size="xs" variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            Load older deliveries
          </Button>
        </Group>
      )}
      <Text size="xs" c="dimmed" mt="xs">
        Receivers: see <Anchor href="https://www.standardwebhooks.com/" target="_blank" rel="noreferrer" size="xs" underline="always">Standard Webhooks</Anchor> for checking the
        signature.
      </Text>
    </Card>
  );
}
