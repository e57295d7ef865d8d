import { ActionIcon, Anchor, Breadcrumbs, Button, Code, Group, List, Modal, NavLink, Skeleton, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { IconFileImport, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useApi, useEndpoints, useIntegrations, useTransforms, useVersions, useWorkflows } from '../api/hooks';
import type { Endpoint, Version, VersionStatus } from '../api/types';
import { Can, useSession } from '../auth/session';
import { Card, Confirm, Empty, ErrorAlert, PageHeader, StatusBadge, fmtTime } from '../components/common';
import { FieldErrors } from '../lib/problem';
import { useDryRun } from '../lib/useDryRun';
import { EndpointForm, MethodBadge } from './EndpointForm';

// The OpenAPI import panel is loaded when it is opened.
const OpenApiImport = lazy(() => import('../components/OpenApiImport'));

export function ApiDetail() {
  const { api: slug = '' } = useParams();
  const a = useApi(slug);
  const vs = useVersions(slug);
  const [params, setParams] = useSearchParams();
  const versions = vs.data?.items ?? [];
  const selected = versions.find((v) => v.name === params.get('version')) ?? versions[versions.length - 1];

  return (
    <>
      <Breadcrumbs mb="xs" aria-label="Breadcrumb">
        <Anchor component={Link} to="/apis" size="sm">
          APIs
        </Anchor>
        <Text size="sm">{a.data?.name ?? slug}</Text>
      </Breadcrumbs>
      <PageHeader
        title={a.data?.name ?? slug}
        description={
          a.data && (
            <>
              Base path <Code>{a.data.basePath || '/'}</Code>
              {a.data.description ? ` · ${a.data.description}` : ''}
            </>
          )
        }
      />
      <ErrorAlert error={a.error ?? vs.error} />
      <Group align="flex-start" gap="lg" wrap="nowrap">
        <Stack w={240} gap="md" style={{ flexShrink: 0 }}>
          <Card title="Versions">
            {vs.isPending ? (
              <Skeleton h={60} />
            ) : versions.length === 0 ? (
              <Text size="sm" c="dimmed">
                No versions yet.
              </Text>
            ) : (
              <nav aria-label="Versions">
                {versions.map((v) => (
                  <NavLink
                    key={v.name}
                    label={v.name}
                    rightSection={<StatusBadge status={v.status} />}
                    active={v.name === selected?.name}
                    onClick={() => setParams({ version: v.name })}
                    style={{ borderRadius: 6 }}
                    aria-current={v.name === selected?.name ? 'page' : undefined}
                  />
                ))}
              </nav>
            )}
            <Can do="createVersion">
              <NewVersion api={slug} onCreated={(name) => setParams({ version: name })} />
            </Can>
          </Card>
        </Stack>
        <Stack style={{ flex: 1, minWidth: 0 }}>
          {selected && a.data ? <VersionPanel api={slug} basePath={a.data.basePath} version={selected} /> : !vs.isPending && <Card><Empty>Create a version to add endpoints.</Empty></Card>}
        </Stack>
      </Group>
    </>
  );
}

function NewVersion({ api: slug, onCreated }: { api: string; onCreated: (name: string) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const dry = useDryRun('version', { name }, name !== '');
  const create = useMutation({
    mutationFn: () => api.post<Version>(`/apis/${seg(slug)}/versions`, { name }),
    onSuccess: (v) => {
      void qc.invalidateQueries({ queryKey: keys.versions(slug) });
      void qc.invalidateQueries({ queryKey: keys.apis });
      setName('');
      onCreated(v.name);
    },
  });
  const fe = create.error instanceof ApiError && create.error.fieldErrors.length ? new FieldErrors(create.error.fieldErrors) : dry.errors;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="New version" noValidate>
      <Stack gap="xs" mt="sm">
        <TextInput
          label="New version"
          placeholder="v2"
          size="xs"
          value={name}
          onChange={(e) => {
            create.reset();
            setName(e.currentTarget.value);
          }}
          error={fe.at('/name')}
        />
        {create.error && !(create.error instanceof ApiError && create.error.fieldErrors.length) ? <ErrorAlert error={create.error} /> : null}
        <Button type="submit" size="xs" variant="light" leftSection={<IconPlus size={14} />} loading={create.isPending} disabled={!name}>
          Create version
        </Button>
      </Stack>
    </form>
  );
}

const transitions: Record<VersionStatus, { action: 'publish' | 'deprecate' | 'retire'; label: string; color: string }[]> = {
  draft: [{ action: 'publish', label: 'Publish', color: 'green' }],
  published: [
    { action: 'deprecate', label: 'Deprecate', color: 'orange' },
    { action: 'retire', label: 'Retire', color: 'red' },
  ],
  deprecated: [
    { action: 'publish', label: 'Reinstate', color: 'green' },
    { action: 'retire', label: 'Retire', color: 'red' },
  ],
  retired: [],
};

const consequence: Record<'publish' | 'deprecate' | 'retire', string> = {
  publish: 'Its endpoints go live on the gateway within seconds.',
  deprecate: 'Callers still reach it, with Deprecation and Sunset headers.',
  retire: 'Callers get 410 Gone. A retired version cannot be published again.',
};

function VersionPanel({ api: slug, basePath, version: v }: { api: string; basePath: string; version: Version }) {
  const qc = useQueryClient();
  const { me } = useSession();
  const eps = useEndpoints(slug, v.name);
  const ints = useIntegrations();
  const transforms = useTransforms();
  const workflows = useWorkflows();
  const [editing, setEditing] = useState<Endpoint | 'new' | null>(null);
  const [importing, setImporting] = useState(false);
  const tenant = me?.tenant ?? '';
  const origin = window.location.origin;
  const status = v.status ?? 'draft';
  const items = eps.data?.items ?? [];

  const transition = async (action: string) => {
    await api.post<Version>(`/apis/${seg(slug)}/versions/${seg(v.name)}/${action}`);
    await qc.invalidateQueries({ queryKey: keys.versions(slug) });
  };
  const remove = useMutation({
    mutationFn: (id: string) => api.del(`/apis/${seg(slug)}/versions/${seg(v.name)}/endpoints/${seg(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.endpoints(slug, v.name) }),
  });

  return (
    <Card
      title={
        <Group gap="xs">
          <span>Version {v.name}</span>
          <StatusBadge status={v.status} />
        </Group>
      }
      actions={
        <Group gap="xs">
          <Can do="transitionVersion">
            {transitions[status].map((t) => (
              <Confirm
                key={t.action}
                label={t.label}
                color={t.color}
                title={`${t.label} ${v.name}?`}
                confirmLabel={t.label}
                message={
                  <Stack gap="xs">
                    <Text size="sm">{consequence[t.action]}</Text>
                    {t.action === 'publish' && (
                      <>
                        <Text size="sm" fw={600}>
                          {items.length} endpoint{items.length === 1 ? '' : 's'} will be served:
                        </Text>
                        <List size="sm" spacing={2}>
                          {items.map((e) => (
                            <List.Item key={e.id}>
                              <Code>
                                {e.method} /t/{tenant}/{v.name}
                                {basePath}
                                {e.path}
                              </Code>
                            </List.Item>
                          ))}
                        </List>
                      </>
                    )}
                  </Stack>
                }
                onConfirm={() => transition(t.action)}
              />
            ))}
          </Can>
          {(status === 'published' || status === 'deprecated') && (
            <Can do="purgeCache">
              <PurgeCache api={slug} version={v.name} />
            </Can>
          )}
          <Can do="editEndpoint">
            {/* import-openapi needs developer, as editing an endpoint does (docs/permissions.md). */}
            <Button size="xs" variant="light" leftSection={<IconFileImport size={14} />} onClick={() => setImporting(true)} disabled={status === 'retired'}>
              Import OpenAPI
            </Button>
            <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setEditing('new')} disabled={status === 'retired'}>
              Add endpoint
            </Button>
          </Can>
        </Group>
      }
    >
      <Text size="xs" c="dimmed" mb="sm">
        {v.publishedAt ? `Published ${fmtTime(v.publishedAt)}` : 'Not published yet: drafts are invisible to callers.'}
        {v.deprecatedAt ? ` · deprecated ${fmtTime(v.deprecatedAt)}` : ''}
      </Text>
      <ErrorAlert error={eps.error ?? remove.error} />
      {eps.isPending ? (
        <Skeleton h={80} />
      ) : items.length === 0 ? (
        <Empty>No endpoints in {v.name} yet.</Empty>
      ) : (
        <Table verticalSpacing="sm" highlightOnHover aria-label={`Endpoints of ${v.name}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={90}>Method</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Policies</Table.Th>
              <Table.Th w={90}>
                <span className="sr-only">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((e) => {
              const url = `${origin}/t/${tenant}/${v.name}${basePath}${e.path}`;
              return (
                <Table.Tr key={e.id}>
                  <Table.Td>
                    <MethodBadge method={e.method} />
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {e.path}
                    </Text>
                    {e.summary && (
                      <Text size="xs" c="dimmed">
                        {e.summary}
                      </Text>
                    )}
                    {(status === 'published' || status === 'deprecated') && !e.path.includes('{') && (e.method === 'GET' || e.method === 'ANY') && (
                      <Anchor href={url} target="_blank" rel="noreferrer" size="xs">
                        Open on gateway
                      </Anchor>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{e.target.type === 'workflow' ? `workflow ${e.target.workflow}` : e.target.integration}</Text>
                    {e.target.path && (
                      <Text size="xs" ff="monospace" c="dimmed">
                        {e.target.path}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {policySummary(e)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Can do="editEndpoint">
                      <Group gap={4} wrap="nowrap">
                        <Tooltip label="Edit">
                          <ActionIcon variant="subtle" aria-label={`Edit ${e.method} ${e.path}`} onClick={() => setEditing(e)}>
                            <IconPencil size={16} />
                          </ActionIcon>
                        </Tooltip>
                        <Tooltip label="Delete">
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={`Delete ${e.method} ${e.path}`}
                            onClick={() => {
                              if (window.confirm(`Delete ${e.method} ${e.path}?`)) remove.mutate(e.id!);
                            }}
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      </Group>
                    </Can>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? `New endpoint in ${v.name}` : 'Edit endpoint'} size="xl">
        {editing !== null && (
          <EndpointForm
            api={slug}
            version={v.name}
            basePath={basePath}
            tenant={tenant}
            integrations={ints.data?.items ?? []}
            transforms={transforms.data?.items ?? []}
            workflows={workflows.data?.items ?? []}
            initial={editing === 'new' ? undefined : editing}
            onDone={() => setEditing(null)}
          />
        )}
      </Modal>
      <Modal
        opened={importing}
        onClose={() => setImporting(false)}
        title={`Import OpenAPI into ${v.name}`}
        size="xl"
        closeButtonProps={{ 'aria-label': 'Close the import' }}
      >
        {importing && (
          <Suspense fallback={<Skeleton h={200} />}>
            <OpenApiImport api={slug} version={v} onClose={() => setImporting(false)} />
          </Suspense>
        )}
      </Modal>
    </Card>
  );
}

function policySummary(e: Endpoint): string {
  const p = e.policies ?? {};
  const parts: string[] = [];
  parts.push(p.auth && p.auth.type !== 'none' ? p.auth.type : 'public');
  if (p.rateLimit) parts.push(`${p.rateLimit.limit}/${p.rateLimit.windowSeconds}s`);
  if (p.cache) parts.push(`cache ${p.cache.ttlSeconds}s`);
  if (p.cors) parts.push('CORS');
  if (p.requestTransforms?.length) parts.push(`in: ${p.requestTransforms.map((t) => t.transform).join(', ')}`);
  if (p.responseTransforms?.length) parts.push(`out: ${p.responseTransforms.map((t) => t.transform).join(', ')}`);
  return parts.join(' · ');
}

/**
 * PurgeCache removes a published version's cached responses, all of them or
 * one request path's (every variant), from the shared cache.
 */
export function PurgeCache({ api: slug, version }: { api: string; version: string }) {
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const purge = useMutation({
    mutationFn: () => api.post<{ purged: number }>(`/apis/${seg(slug)}/versions/${seg(version)}/cache/purge`, path ? { path } : {}),
  });
  const fe = new FieldErrors(purge.error instanceof ApiError ? purge.error.fieldErrors : []);
  const close = () => {
    setOpen(false);
    setPath('');
    purge.reset();
  };
  return (
    <>
      <Button size="xs" variant="light" color="gray" onClick={() => setOpen(true)}>
        Purge cache
      </Button>
      <Modal opened={open} onClose={close} title={`Purge cached responses of ${version}`}>
        <form
          noValidate
          aria-label="Purge cache"
          onSubmit={(e) => {
            e.preventDefault();
            purge.mutate();
          }}
        >
          <Stack>
            <TextInput
              label="Request path"
              description={`Empty purges the whole version. A path as callers send it, e.g. /${version}/orders/42 (every variant of it).`}
              placeholder={`/${version}/orders/42`}
              value={path}
              onChange={(e) => {
                setPath(e.currentTarget.value);
                purge.reset();
              }}
              error={fe.at('/path')}
              classNames={{ input: 'mono' }}
              data-autofocus
            />
            {purge.isSuccess && (
              <Text size="sm" role="status">
                Purged {purge.data.purged} cached response{purge.data.purged === 1 ? '' : 's'}.
              </Text>
            )}
            <ErrorAlert error={purge.error && fe.size === 0 ? purge.error : undefined} fieldErrors={fe.unclaimed(['/path'])} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Close
              </Button>
              <Button type="submit" color="orange" loading={purge.isPending}>
                {path ? 'Purge this path' : 'Purge the whole version'}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
