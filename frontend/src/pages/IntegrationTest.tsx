import { Alert, Badge, Button, Code, Group, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api/client';
import type { Integration, IntegrationProbe } from '../api/types';
import { ErrorAlert } from '../components/common';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const breakerColor: Record<IntegrationProbe['breaker'], string> = { none: 'gray', closed: 'green', 'half-open': 'orange', open: 'red' };

/**
 * TestConnection sends one request to an integration through the server's
 * engine (POST /integrations/{integration}/test: the SSRF guard applies, no
 * retries, a short timeout) and shows what came back.
 */
export function TestConnection({ integration }: { integration: Integration }) {
  const [method, setMethod] = useState(integration.method?.toUpperCase() || 'GET');
  const [path, setPath] = useState('');
  const [body, setBody] = useState('');
  const [bodyError, setBodyError] = useState<string | null>(null);
  const probe = useMutation({
    mutationFn: (req: { method: string; path?: string; body?: unknown }) => api.post<IntegrationProbe>(`/integrations/${seg(integration.slug)}/test`, req),
  });
  const hasBody = !['GET', 'HEAD'].includes(method);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let sample: unknown;
    if (hasBody && body.trim()) {
      try {
        sample = JSON.parse(body);
      } catch {
        setBodyError('not valid JSON');
        return;
      }
    }
    setBodyError(null);
    probe.mutate({ method, ...(path.trim() ? { path: path.trim() } : {}), ...(sample !== undefined ? { body: sample } : {}) });
  };

  const r = probe.data;
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        One request to <Code>{integration.url}</Code> from the server, with the integration&apos;s headers and limits; no retries, at most 5 s.
      </Text>
      <form onSubmit={submit} aria-label="Test connection">
        <Stack>
          <Group align="flex-start" grow preventGrowOverflow={false}>
            <Select label="Method" data={METHODS} value={method} onChange={(v) => v && setMethod(v)} allowDeselect={false} maw={120} />
            <TextInput label="Path" description="Appended to the URL" placeholder="/health" value={path} onChange={(e) => setPath(e.currentTarget.value)} />
          </Group>
          {hasBody && (
            <Textarea label="Sample body (JSON)" autosize minRows={3} value={body} onChange={(e) => setBody(e.currentTarget.value)} error={bodyError} styles={{ input: { fontFamily: 'monospace' } }} />
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={probe.isPending}>
              Send test request
            </Button>
          </Group>
        </Stack>
      </form>
      <ErrorAlert error={probe.error} title="The test could not run" />
      {r && (
        <Stack gap="xs" aria-live="polite" data-testid="probe-result">
          <Group gap="xs">
            {r.status !== undefined ? (
              <Badge color={r.ok ? 'green' : 'red'} variant="light" radius="sm">
                {r.method} {r.status}
              </Badge>
            ) : (
              <Badge color="red" variant="light" radius="sm">
                no answer
              </Badge>
            )}
            <Text size="sm">{r.latencyMs} ms</Text>
            <Badge color={breakerColor[r.breaker]} variant="light" radius="sm">
              breaker {r.breaker === 'none' ? 'none' : r.breaker}
            </Badge>
          </Group>
          {r.error && (
            <Alert color="red" title={r.error.title}>
              {r.error.detail ?? r.error.type}
            </Alert>
          )}
          {r.headers && Object.keys(r.headers).length > 0 && (
            <Text size="xs" ff="monospace" c="dimmed">
              {Object.entries(r.headers)
                .map(([k, v]) => `${k}: ${v}`)
                .join(' · ')}
            </Text>
          )}
          {r.preview !== undefined && r.preview !== '' && (
            <Code block aria-label="Response preview" style={{ maxHeight: 260, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
              {r.preview}
              {r.truncated ? '\n… (first 4 KiB)' : ''}
            </Code>
          )}
        </Stack>
      )}
    </Stack>
  );
}
