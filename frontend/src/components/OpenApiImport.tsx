import { Alert, Anchor, Badge, Button, Code, FileInput, Group, List, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconFileImport } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { keys } from '../api/hooks';
import { DOCUMENT_POINTER, MAX_IMPORT_BYTES, importBodySize, importOpenApi, type ImportMatch, type ImportReport } from '../api/openapiImport';
import type { FieldError, Version } from '../api/types';
import { ErrorAlert } from './common';
import { documentPlace, linePlace, type TextPlace } from '../lib/documentPointer';
import { MethodBadge } from '../pages/EndpointForm';

/** The files the picker offers: OpenAPI as JSON or YAML. */
const ACCEPT = '.json,.yaml,.yml,application/json,application/yaml,application/x-yaml,text/yaml';

const fmtSize = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`);
/** readText reads a picked file as UTF-8 text (FileReader: jsdom's File has no text()). */
const readText = (f: File) =>
  new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('unreadable'));
    r.readAsText(f);
  });
const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/**
 * OpenApiImport is the import of an OpenAPI 3.0/3.1 document into a
 * version's endpoints (docs/transforms.md, "OpenAPI import"): the document
 * pasted or read from a file, a dry run's report, then the import after a
 * confirmation. A refused document's problems point into it, and are
 * shown there. Loaded lazily by the version view.
 */
export function OpenApiImport({ api: slug, version, onClose }: { api: string; version: Version; onClose: () => void }) {
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const status = version.status ?? 'draft';
  const live = status === 'published' || status === 'deprecated';

  const preview = useMutation({ mutationFn: (doc: string) => importOpenApi(slug, version.name, doc, true) });
  const apply = useMutation({
    mutationFn: (doc: string) => importOpenApi(slug, version.name, doc, false),
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: keys.endpoints(slug, version.name) }),
        // Also every transform read by slug: the import rewrites its own.
        qc.invalidateQueries({ queryKey: keys.transforms }),
      ]),
  });

  // The larger of the two requests ("dryRun": false): both must fit.
  const size = useMemo(() => importBodySize(text, false), [text]);
  const tooLarge = size > MAX_IMPORT_BYTES;
  const failed = apply.error ?? preview.error;
  const problems = failed instanceof ApiError ? failed.fieldErrors : [];
  const docProblems = problems.filter((e) => e.pointer === DOCUMENT_POINTER || e.pointer.startsWith(DOCUMENT_POINTER + '/'));
  const otherProblems = problems.filter((e) => !docProblems.includes(e));
  // The report of the text as it is now: an edit makes it stale.
  const report = apply.data ?? preview.data;
  const previewed = preview.isSuccess && preview.variables === text;
  const busy = preview.isPending || apply.isPending;

  const edited = (next: string) => {
    setText(next);
    preview.reset();
    apply.reset();
    setConfirming(false);
  };

  const pick = async (f: File | null) => {
    setFileError(undefined);
    setFile(f);
    if (!f) return;
    if (f.size > MAX_IMPORT_BYTES) {
      setFileError(`${f.name} is ${fmtSize(f.size)}: the import takes at most ${fmtSize(MAX_IMPORT_BYTES)}.`);
      return;
    }
    try {
      edited(await readText(f));
    } catch {
      setFileError(`${f.name} could not be read.`);
    }
  };

  const show = (place: TextPlace) => {
    const el = textRef.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(place.from, place.to);
    // Bring the selection into view: the share of lines above it.
    const lines = text.split('\n').length;
    el.scrollTop = Math.max(0, ((place.line - 3) / lines) * el.scrollHeight);
  };

  return (
    <Stack gap="md">
      <Text size="sm">
        Operations are matched to the endpoints of {version.name} by method and path; each match sets the endpoint&apos;s request and response
        validation transforms from the JSON schemas. Parameters are not validated. Importing again replaces what an earlier import set.
      </Text>
      {live && (
        <Alert color="orange" variant="light" title={`${version.name} is ${status}`} icon={<IconAlertTriangle size={18} />}>
          <Text size="sm">
            Applying changes its endpoints at once, as any endpoint edit does: callers are validated by the new schemas right away. To check
            first, import into a draft version, then publish it.
          </Text>
        </Alert>
      )}
      <FileInput
        label="OpenAPI file"
        description={`OpenAPI 3.0 or 3.1, JSON or YAML (.json, .yaml, .yml), up to ${fmtSize(MAX_IMPORT_BYTES)}; it fills the document below.`}
        placeholder="Choose a file"
        accept={ACCEPT}
        value={file}
        onChange={(f) => void pick(f)}
        error={fileError}
        clearable
        clearButtonProps={{ 'aria-label': 'Clear the file' }}
        leftSection={<IconFileImport size={16} />}
      />
      <div>
        <Textarea
          ref={textRef}
          label="OpenAPI document"
          description="Paste the document, or pick a file above."
          placeholder={'openapi: 3.1.0\ninfo: {title: Orders, version: "1"}\npaths: {}'}
          value={text}
          onChange={(e) => edited(e.currentTarget.value)}
          rows={14}
          spellCheck={false}
          autoComplete="off"
          classNames={{ input: 'mono' }}
          // The error marks the border; the document stays readable.
          styles={{ input: { fontSize: 13, whiteSpace: 'pre', overflowWrap: 'normal', color: 'var(--mantine-color-text)' } }}
          error={
            tooLarge
              ? `${fmtSize(size)} to send: over the ${fmtSize(MAX_IMPORT_BYTES)} the import takes. Split the document, or leave out what is not needed.`
              : docProblems.length
                ? `Refused: ${plural(docProblems.length, 'problem')}, listed below.`
                : undefined
          }
          data-autofocus
        />
        {!tooLarge && (
          <Text size="xs" mt={4} c="dimmed">
            {fmtSize(size)} to send, of {fmtSize(MAX_IMPORT_BYTES)} at most.
          </Text>
        )}
      </div>

      {docProblems.length > 0 && <DocumentProblems problems={docProblems} text={text} onShow={show} />}
      <ErrorAlert error={failed && problems.length === 0 ? failed : undefined} fieldErrors={otherProblems} />

      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Close
        </Button>
        <Button variant="light" onClick={() => preview.mutate(text)} loading={preview.isPending} disabled={!text.trim() || tooLarge || apply.isPending}>
          Preview
        </Button>
        <Button
          color={live ? 'orange' : 'blue'}
          onClick={() => setConfirming(true)}
          disabled={!previewed || busy || confirming || apply.isSuccess}
        >
          Apply…
        </Button>
      </Group>

      {confirming && previewed && preview.data && (
        <ConfirmApply
          report={preview.data}
          version={version.name}
          live={live}
          busy={apply.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() =>
            apply.mutate(text, {
              onSettled: () => setConfirming(false),
            })
          }
        />
      )}

      {report && <Report report={report} />}
    </Stack>
  );
}

/** DocumentProblems lists a refused document's problems at their places in the text, each one selectable there. */
function DocumentProblems({ problems, text, onShow }: { problems: FieldError[]; text: string; onShow: (p: TextPlace) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  // Take the keyboard to the problems (below a long document), as to a report: each
  // refusal mounts this anew (a new request clears the last one's error).
  useEffect(() => ref.current?.focus(), []);
  return (
    <Alert ref={ref} tabIndex={-1} color="red" variant="light" title="The document was refused" icon={<IconAlertTriangle size={18} />} role="alert">
      <List size="sm" spacing={6}>
        {problems.map((e) => {
          const inDoc = e.pointer.slice(DOCUMENT_POINTER.length);
          // A parser's "line 3" for an unreadable document; else the pointer's place.
          const lineMatch = inDoc === '' ? /\bline (\d+)\b/.exec(e.detail) : null;
          const place = lineMatch ? linePlace(text, Number(lineMatch[1])) : documentPlace(text, inDoc);
          return (
            <List.Item key={e.pointer + e.detail}>
              {inDoc === '' ? (
                <Text span size="sm" fw={600}>
                  The document
                </Text>
              ) : (
                <Code>{inDoc}</Code>
              )}
              {place && ` (line ${place.line})`}: {e.detail}
              {place && (
                <>
                  {' '}
                  <Anchor component="button" type="button" size="sm" onClick={() => onShow(place)}>
                    Show in document
                  </Anchor>
                </>
              )}
            </List.Item>
          );
        })}
      </List>
    </Alert>
  );
}

/** ConfirmApply asks before the import, with what it will change. */
function ConfirmApply({
  report,
  version,
  live,
  busy,
  onCancel,
  onConfirm,
}: {
  report: ImportReport;
  version: string;
  live: boolean;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const ref = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  useEffect(() => ref.current?.focus(), []);
  const matched = report.matched ?? [];
  return (
    <Paper withBorder p="md" radius="md" role="group" aria-labelledby={headingId} bg={live ? 'orange.0' : 'blue.0'}>
      <Stack gap="xs">
        <Title order={4} size="h6" id={headingId}>
          Apply the import to {version}?
        </Title>
        <Text size="sm">
          {matched.length === 0
            ? 'No operation matches an endpoint: nothing will change.'
            : `${plural(matched.length, 'endpoint')} get the validation transforms of the preview; an earlier import's are replaced.`}
          {live && ' The version is live: callers are validated at once.'}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button ref={ref} color={live ? 'orange' : 'blue'} onClick={onConfirm} loading={busy} disabled={matched.length === 0}>
            Apply import
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/** Report shows what the import matched, skipped and left uncovered, as tables with counts. */
export function Report({ report }: { report: ImportReport }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  const matched = report.matched ?? [];
  const skipped = report.skipped ?? [];
  const unmatched = report.unmatchedEndpoints ?? [];
  const failures = matched.filter((m) => m.error);
  // Move focus to the new report, so a keyboard or screen reader user is taken to it.
  useEffect(() => headingRef.current?.focus(), [report]);
  return (
    <section aria-labelledby={headingId}>
      <Stack gap="sm">
        <Group gap="xs">
          <Title order={3} size="h5" id={headingId} ref={headingRef} tabIndex={-1}>
            {report.dryRun ? 'Preview: nothing changed yet' : 'Imported'}
          </Title>
          <Badge variant="light" color="gray" radius="sm">
            OpenAPI {report.openapi}
          </Badge>
        </Group>
        <Text size="sm" role="status">
          {report.dryRun
            ? `${plural(matched.length, 'endpoint')} would get validation from the document`
            : `${plural(matched.length - failures.length, 'endpoint')} got validation from the document${failures.length ? `, ${failures.length} not changed` : ''}`}
          ; {plural(skipped.length, 'operation')} skipped;{' '}
          {unmatched.length ? `${plural(unmatched.length, 'endpoint')} not described.` : 'every endpoint described.'}
        </Text>
        {failures.length > 0 && (
          <Alert color="red" variant="light" title={`${plural(failures.length, 'endpoint was', 'endpoints were')} not changed`} icon={<IconAlertTriangle size={18} />}>
            <Text size="sm">The others were imported. The reason is beside each one below.</Text>
          </Alert>
        )}

        <Section title="Matched" count={matched.length}>
          {matched.length === 0 ? (
            <Text size="sm" c="dimmed">
              No operation of the document matches an endpoint of this version.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table verticalSpacing="xs" aria-label="Matched operations">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Endpoint and operation</Table.Th>
                    <Table.Th>Validates</Table.Th>
                    <Table.Th>Notes</Table.Th>
                    {!report.dryRun && <Table.Th>Result</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {matched.map((m) => (
                    <MatchRow key={m.endpoint} m={m} applied={!report.dryRun} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Section>

        <Section title="Skipped" count={skipped.length}>
          {skipped.length === 0 ? (
            <Text size="sm" c="dimmed">
              Every operation matched an endpoint.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table verticalSpacing="xs" aria-label="Skipped operations">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Operation</Table.Th>
                    <Table.Th>In the document</Table.Th>
                    <Table.Th>Reason</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {skipped.map((s) => (
                    <Table.Tr key={s.pointer}>
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <MethodBadge method={s.method} />
                          <Text ff="monospace" size="sm">
                            {s.path}
                          </Text>
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Code>{s.pointer}</Code>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{s.reason}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Section>

        <Section title="Endpoints no operation describes" count={unmatched.length}>
          {unmatched.length === 0 ? (
            <Text size="sm" c="dimmed">
              The document describes every endpoint of this version.
            </Text>
          ) : (
            <>
              <Text size="xs" c="dimmed">
                The import leaves them as they are.
              </Text>
              <Table verticalSpacing="xs" aria-label="Endpoints no operation describes">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={90}>Method</Table.Th>
                    <Table.Th>Path</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {unmatched.map((u) => (
                    <Table.Tr key={u.endpoint}>
                      <Table.Td>
                        <MethodBadge method={u.method} />
                      </Table.Td>
                      <Table.Td>
                        <Text ff="monospace" size="sm">
                          {u.path}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </>
          )}
        </Section>
      </Stack>
    </section>
  );
}

function Section({ title, count, children }: { title: string; count: number; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id}>
      <Group gap={6} mb={4}>
        <Title order={4} size="h6" id={id}>
          {title}
        </Title>
        <Badge variant="light" color={count ? 'blue' : 'gray'} radius="sm" aria-label={`${count}`}>
          {count}
        </Badge>
      </Group>
      {children}
    </section>
  );
}

function MatchRow({ m, applied }: { m: ImportMatch; applied: boolean }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  const hasDocs = m.request !== undefined || m.response !== undefined;
  return (
    <>
      <Table.Tr>
        <Table.Td>
          <Group gap={6} wrap="nowrap">
            <MethodBadge method={m.method} />
            <Text ff="monospace" size="sm">
              {m.path}
            </Text>
          </Group>
          <Text size="xs" mt={4}>
            {m.operationId && `${m.operationId} `}
            <Code>{m.operation}</Code>
          </Text>
        </Table.Td>
        <Table.Td>
          <Stack gap={2}>
            {m.requestTransform && (
              <Text size="sm">
                Request body: <Code>{m.requestTransform}</Code>
              </Text>
            )}
            {m.responseTransform && (
              <Text size="sm">
                {m.responses?.length === 1 ? 'Response' : 'Responses'} {m.responses?.join(', ')}: <Code>{m.responseTransform}</Code>
              </Text>
            )}
            {!m.requestTransform && !m.responseTransform && (
              <Text size="sm" c="dimmed">
                Nothing (no JSON body)
              </Text>
            )}
            {hasDocs && (
              <Anchor component="button" type="button" size="xs" onClick={() => setOpen((o) => !o)} aria-expanded={open} aria-controls={open ? detailsId : undefined}>
                {open ? 'Hide the generated transforms' : 'Show the generated transforms'}
              </Anchor>
            )}
          </Stack>
        </Table.Td>
        <Table.Td>
          {m.notes?.length ? (
            <List size="xs" spacing={2}>
              {m.notes.map((n) => (
                <List.Item key={n}>{n}</List.Item>
              ))}
            </List>
          ) : (
            <Text size="sm" c="dimmed">
              —
            </Text>
          )}
        </Table.Td>
        {applied && (
          <Table.Td>
            {m.error ? (
              <Text size="sm" c="red.9">
                Not changed: {m.error}
              </Text>
            ) : (
              <Group gap={4} wrap="nowrap">
                <IconCheck size={14} color="var(--mantine-color-green-8)" aria-hidden />
                <Text size="sm">
                  Imported
                </Text>
              </Group>
            )}
          </Table.Td>
        )}
      </Table.Tr>
      {open && (
        <Table.Tr id={detailsId}>
          <Table.Td colSpan={applied ? 4 : 3}>
            <Stack gap="xs">
              {m.request !== undefined && (
                <div>
                  <Text size="xs" fw={600}>
                    {m.requestTransform} (request)
                  </Text>
                  <Code block style={{ maxHeight: 240, overflow: 'auto' }}>
                    {JSON.stringify(m.request, null, 2)}
                  </Code>
                </div>
              )}
              {m.response !== undefined && (
                <div>
                  <Text size="xs" fw={600}>
                    {m.responseTransform} (response)
                  </Text>
                  <Code block style={{ maxHeight: 240, overflow: 'auto' }}>
                    {JSON.stringify(m.response, null, 2)}
                  </Code>
                </div>
              )}
            </Stack>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

export default OpenApiImport;
