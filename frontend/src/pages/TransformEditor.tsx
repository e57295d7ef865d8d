import { Alert, Anchor, Badge, Button, Code, FileInput, Grid, Group, List, Progress, SegmentedControl, Stack, Switch, Text, TextInput, Textarea } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconPlus, IconUpload, IconX } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useTransform } from '../api/hooks';
import type { FieldError, Transform, TransformMessage, TransformTestResult, TransformType, WasmTestCase } from '../api/types';
import { Can, useSession } from '../auth/session';
import { Card, Confirm, ErrorAlert, PageHeader, PageLoading, fmtTime } from '../components/common';
import { JsonEditor, type PointerProblem } from '../components/JsonEditor';
import { FieldErrors, pointerLabel } from '../lib/problem';
import { uploadRaw, type UploadProgress } from '../lib/upload';
import { useTransformPreview } from '../lib/useTransformPreview';
import { TestsBadge } from './Transforms';

export const TEMPLATE = {
  steps: [
    {
      map: {
        fields: [
          { to: '/orderId', from: 'body.id', type: 'string' },
          { to: '/customer', template: '{{ body.first }} {{ body.last }}' },
        ],
      },
    },
  ],
  tests: [
    {
      name: 'maps an order',
      input: { body: { id: 7, first: 'Ada', last: 'Lovelace' } },
      expect: { body: { orderId: '7', customer: 'Ada Lovelace' } },
    },
  ],
};

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export function TransformEditor() {
  const { transform: slug = 'new' } = useParams();
  const isNew = slug === 'new';
  const q = useTransform(slug, !isNew);
  if (!isNew && q.isPending)
    return <PageLoading />;
  if (!isNew && q.error) return <ErrorAlert error={q.error} />;
  return <Editor key={slug} initial={isNew ? undefined : q.data} />;
}

/** sampleOf picks a starting sample input: the first test case's, or a body. */
function sampleOf(doc: unknown): unknown {
  const tests = (doc as { tests?: { input?: unknown }[] } | undefined)?.tests;
  return tests?.[0]?.input ?? { body: { id: 42, first: 'Grace', last: 'Hopper' } };
}

/** under strips a prefix from the pointers below it ("/document/steps/0" -> "/steps/0"). */
function under(errors: FieldError[], prefix: string): PointerProblem[] {
  return errors.filter((e) => e.pointer === prefix || e.pointer.startsWith(prefix + '/')).map((e) => ({ pointer: e.pointer.slice(prefix.length), detail: e.detail }));
}

export function Editor({ initial }: { initial?: Transform }) {
  const qc = useQueryClient();
  const nav = useNavigate();
  const { can } = useSession();
  const editable = can('editTransform');
  const [meta, setMeta] = useState({ slug: initial?.slug ?? '', name: initial?.name ?? '', description: initial?.description ?? '' });
  const [type, setType] = useState<TransformType>(initial?.type ?? 'declarative');
  const [docText, setDocText] = useState(() => pretty(initial?.document ?? TEMPLATE));
  const [inputText, setInputText] = useState(() => pretty(sampleOf(initial?.document ?? TEMPLATE)));
  const [configText, setConfigText] = useState(() => (initial?.config === undefined ? '' : pretty(initial.config)));
  const [fresh, setFresh] = useState(!!initial?.freshInstance);
  const [casesText, setCasesText] = useState(() => pretty(initial?.testCases ?? []));
  const [caseName, setCaseName] = useState('');

  const preview = useTransformPreview(docText, inputText, editable && type === 'declarative');

  const save = useMutation({
    mutationFn: (t: Transform) => (initial ? api.put<Transform>(`/transforms/${seg(initial.slug)}`, t) : api.post<Transform>('/transforms', t)),
    onSuccess: (t) => {
      qc.setQueryData(keys.transform(t.slug), t);
      void qc.invalidateQueries({ queryKey: keys.transforms });
      if (!initial) nav(`/transforms/${seg(t.slug)}`, { replace: true });
    },
  });
  const saveErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = new FieldErrors(saveErrors);
  // The newest stored state: the last save's answer, or what a module upload put in the query cache since.
  const saved = newest(save.data, initial);
  const cases = parseCases(casesText);

  const submit = () => {
    const t: Transform = { slug: meta.slug, name: meta.name, type, revision: saved?.revision };
    if (meta.description) t.description = meta.description;
    try {
      if (type === 'declarative') t.document = JSON.parse(docText);
      else {
        if (configText.trim()) t.config = JSON.parse(configText);
        if (fresh) t.freshInstance = true;
        if (!cases.ok) return;
        if (cases.value.length) t.testCases = cases.value;
      }
    } catch {
      return;
    }
    save.mutate(t);
  };

  // Problems in the document: the preview's 400 (under /transform), the
  // failing step of a run (its rule's pointer), a refused save (/document).
  const run = preview.result?.error;
  const docProblems: PointerProblem[] = [
    ...under(preview.problems, '/transform'),
    ...(run ? [{ pointer: run.rule, detail: `step ${run.step + 1} (${run.name}) failed: ${run.detail}` }] : []),
    ...under(saveErrors, '/document'),
  ];
  const inputProblems = under(preview.problems, '/input');
  const output = preview.result?.output;
  const tests: TransformTestResult[] = preview.result ? (preview.result.tests ?? []) : (saved?.tests?.results ?? []);

  const addCase = () => {
    if (!output) return;
    let doc: { tests?: unknown[] };
    try {
      doc = JSON.parse(docText) as { tests?: unknown[] };
    } catch {
      return;
    }
    const expect: TransformMessage = { body: output.body };
    if (output.status) expect.status = output.status;
    doc.tests = [...(doc.tests ?? []), { name: caseName || `case ${(doc.tests?.length ?? 0) + 1}`, input: JSON.parse(inputText), expect }];
    setDocText(pretty(doc));
    setCaseName('');
  };

  const title = initial ? initial.name : 'New transform';
  return (
    <>
      <Anchor component={Link} to="/transforms" size="sm">
        ← Transforms
      </Anchor>
      <PageHeader
        title={title}
        description={initial ? <>Slug <Code>{initial.slug}</Code> · updated {fmtTime(initial.updatedAt)}</> : 'Write the steps, try them on a sample, save with test cases.'}
        actions={
          <>
            {saved && <TestsBadge t={saved} />}
            {initial && (
              <Can do="deleteTransform">
                <Confirm
                  label="Delete"
                  color="red"
                  size="sm"
                  title={`Delete ${initial.name}?`}
                  message="Endpoints that use it must stop using it first; the server refuses otherwise."
                  confirmLabel="Delete transform"
                  onConfirm={async () => {
                    await api.del(`/transforms/${seg(initial.slug)}`);
                    await qc.invalidateQueries({ queryKey: keys.transforms });
                    nav('/transforms');
                  }}
                />
              </Can>
            )}
            {editable && (
              <Button onClick={submit} loading={save.isPending} disabled={type === 'declarative' ? preview.syntax?.field === 'document' : !cases.ok}>
                {initial ? 'Save transform' : 'Create transform'}
              </Button>
            )}
          </>
        }
      />
      <Stack>
        <Card>
          <Grid>
            <Grid.Col span={{ base: 12, sm: 4 }}>
              <TextInput label="Name" value={meta.name} onChange={(e) => setMeta({ ...meta, name: e.currentTarget.value })} error={fe.at('/name')} required readOnly={!editable} />
            </Grid.Col>
            <Grid.Col span={{ base: 12, sm: 3 }}>
              <TextInput label="Slug" value={meta.slug} onChange={(e) => setMeta({ ...meta, slug: e.currentTarget.value })} error={fe.at('/slug')} required disabled={!!initial} classNames={{ input: 'mono' }} />
            </Grid.Col>
            <Grid.Col span={{ base: 12, sm: 5 }}>
              <Stack gap={4}>
                <Text size="sm" fw={500} id="transform-type">
                  Type
                </Text>
                <SegmentedControl
                  aria-labelledby="transform-type"
                  value={type}
                  onChange={(v) => setType(v as TransformType)}
                  disabled={!!initial || !editable}
                  data={[
                    { value: 'declarative', label: 'Declarative steps' },
                    { value: 'wasm', label: 'WebAssembly module' },
                  ]}
                />
              </Stack>
            </Grid.Col>
            <Grid.Col span={12}>
              <Textarea label="Description" value={meta.description} onChange={(e) => setMeta({ ...meta, description: e.currentTarget.value })} error={fe.at('/description')} autosize minRows={1} readOnly={!editable} />
            </Grid.Col>
          </Grid>
          <ErrorAlert
            error={save.error && saveErrors.length === 0 ? save.error : undefined}
            fieldErrors={fe.unclaimed(['/name', '/slug', '/description', '/document', '/config', ...(type === 'wasm' ? ['/testCases'] : [])])}
          />
          {saveErrors.some((e) => e.pointer.startsWith('/document')) && (
            <Text size="sm" c="red.8" role="alert" mt="xs">
              The document was refused: {under(saveErrors, '/document').map((p) => `${pointerLabel(p.pointer)}: ${p.detail}`).join('; ')}
            </Text>
          )}
        </Card>

        {type === 'declarative' ? (
          <>
            <Grid>
              <Grid.Col span={{ base: 12, md: 7 }}>
                <JsonEditor
                  label="Transform document"
                  description="Steps run in order; tests must pass before an endpoint using it can be published."
                  value={docText}
                  onChange={editable ? setDocText : undefined}
                  readOnly={!editable}
                  problems={docProblems}
                  height="460px"
                  error={preview.syntax?.field === 'document' ? `Not valid JSON: ${preview.syntax.detail}` : undefined}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 5 }}>
                <Stack gap="sm">
                  <JsonEditor
                    label="Sample input"
                    description="A message: body, query, headers, params, claims, status."
                    value={inputText}
                    onChange={setInputText}
                    problems={inputProblems}
                    height="160px"
                    error={preview.syntax?.field === 'input' ? `Not valid JSON: ${preview.syntax.detail}` : undefined}
                  />
                  <PreviewPanel preview={preview} editable={editable} />
                </Stack>
              </Grid.Col>
            </Grid>
            <Card
              title="Test cases"
              actions={
                editable && (
                  <Group gap="xs">
                    <TextInput aria-label="New test case name" placeholder="Test case name" size="xs" value={caseName} onChange={(e) => setCaseName(e.currentTarget.value)} />
                    <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} disabled={!output} onClick={addCase}>
                      Add sample as test case
                    </Button>
                  </Group>
                )
              }
            >
              <TestList tests={tests} live={!!preview.result} />
            </Card>
          </>
        ) : (
          <WasmPanel
            initial={saved}
            editable={editable}
            configText={configText}
            setConfigText={setConfigText}
            fresh={fresh}
            setFresh={setFresh}
            configError={fe.under('/config')}
            casesText={casesText}
            setCasesText={setCasesText}
            cases={cases}
            caseProblems={under(saveErrors, '/testCases')}
          />
        )}
      </Stack>
    </>
  );
}

function PreviewPanel({ preview, editable }: { preview: ReturnType<typeof useTransformPreview>; editable: boolean }) {
  if (!editable)
    return (
      <Text size="sm" c="dimmed">
        Developers and above can preview transforms.
      </Text>
    );
  const run = preview.result?.error;
  const docProblems = preview.problems;
  return (
    <Stack gap={6}>
      <Group justify="flex-end">
        <Text size="xs" c="dimmed" aria-live="polite" data-testid="preview-status">
          {preview.syntax ? 'Fix the JSON to preview.' : preview.checking ? 'Previewing…' : preview.result ? 'Preview up to date.' : docProblems.length ? 'The document has problems.' : ''}
        </Text>
      </Group>
      <ErrorAlert error={preview.error} title="The preview failed" />
      {docProblems.length > 0 && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={`${docProblems.length} problem${docProblems.length === 1 ? '' : 's'} in the document`} role="alert">
          <List size="sm">
            {docProblems.map((p) => (
              <List.Item key={p.pointer + p.detail}>
                <Text span fw={600} size="sm">
                  {pointerLabel(p.pointer.replace(/^\/transform/, ''))}
                </Text>
                : {p.detail}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {run && (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={`Step ${run.step + 1} (${run.name}) failed`} role="alert">
          <Text size="sm">{run.detail}</Text>
          <Text size="xs" c="dimmed" mt={4}>
            Rule <Code>{run.rule}</Code>
            {run.path && (
              <>
                {' '}
                · data at <Code>{run.path}</Code>
              </>
            )}
          </Text>
          {run.errors && run.errors.length > 0 && (
            <List size="xs" mt={4}>
              {run.errors.map((e) => (
                <List.Item key={e.pointer + e.detail}>
                  <Code>{e.pointer}</Code> {e.detail}
                </List.Item>
              ))}
            </List>
          )}
        </Alert>
      )}
      {preview.result?.output && <JsonEditor label="Output message" value={pretty(preview.result.output)} readOnly height="200px" />}
    </Stack>
  );
}

function TestList({ tests, live, empty, note }: { tests: TransformTestResult[]; live: boolean; empty?: string; note?: string }) {
  if (tests.length === 0)
    return (
      <Text size="sm" c="dimmed">
        {empty ?? 'No test cases. Add one from the sample: its current output becomes the expectation.'}
      </Text>
    );
  return (
    <Stack gap={6} aria-label="Test case results">
      <Text size="xs" c="dimmed">
        {note ?? (live ? 'Results of the document as edited.' : 'Results at the last save.')}
      </Text>
      {tests.map((t, i) => (
        <Group key={i} gap="sm" wrap="nowrap" align="flex-start">
          {t.pass ? (
            <Badge color="green" variant="light" radius="sm" leftSection={<IconCheck size={12} />} w={72}>
              pass
            </Badge>
          ) : (
            <Badge color="red" variant="light" radius="sm" leftSection={<IconX size={12} />} w={72}>
              fail
            </Badge>
          )}
          <Stack gap={0}>
            <Text size="sm" fw={500}>
              {t.name || `case ${i + 1}`}
            </Text>
            {t.detail && (
              <Text size="xs" c="red.8">
                {t.detail}
              </Text>
            )}
          </Stack>
        </Group>
      ))}
    </Stack>
  );
}

/** newest is the stored transform of the highest revision among the answers known. */
function newest(...ts: (Transform | undefined)[]): Transform | undefined {
  return ts.reduce<Transform | undefined>((a, t) => (t && (!a || (t.revision ?? 0) >= (a.revision ?? 0)) ? t : a), undefined);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };

/** parseCases reads the test cases editor: a JSON array of cases (empty text: none). */
function parseCases(text: string): Parsed<WasmTestCase[]> {
  if (!text.trim()) return { ok: true, value: [] };
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return { ok: false, detail: 'must be a JSON array of test cases' };
    return { ok: true, value: v as WasmTestCase[] };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/** MAX_MODULE_BYTES is catalog.MaxModuleBytes: the largest module the server stores. */
export const MAX_MODULE_BYTES = 16 << 20;

export const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function WasmPanel({
  initial,
  editable,
  configText,
  setConfigText,
  fresh,
  setFresh,
  configError,
  casesText,
  setCasesText,
  cases,
  caseProblems,
}: {
  initial?: Transform;
  editable: boolean;
  configText: string;
  setConfigText: (s: string) => void;
  fresh: boolean;
  setFresh: (b: boolean) => void;
  configError?: string;
  casesText: string;
  setCasesText: (s: string) => void;
  cases: Parsed<WasmTestCase[]>;
  caseProblems: PointerProblem[];
}) {
  const qc = useQueryClient();
  const { token } = useSession();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const tooBig = !!file && file.size > MAX_MODULE_BYTES;
  const upload = useMutation({
    mutationFn: (f: File) => {
      setProgress({ sent: 0, total: f.size });
      return uploadRaw<Transform>(`/transforms/${seg(initial!.slug)}/module`, f, 'application/wasm', token, setProgress);
    },
    onSuccess: (t) => {
      qc.setQueryData(keys.transform(t.slug), t);
      void qc.invalidateQueries({ queryKey: keys.transforms });
      void qc.invalidateQueries({ queryKey: keys.modules });
      setFile(null);
    },
    onSettled: () => setProgress(null),
  });
  const uploadErrors = upload.error instanceof ApiError ? upload.error.fieldErrors : [];
  const results = initial?.tests?.results ?? [];
  const casesEdited = cases.ok && JSON.stringify(cases.value) !== JSON.stringify(initial?.testCases ?? []);
  const addCase = () => {
    if (!cases.ok) return;
    setCasesText(pretty([...cases.value, { name: `case ${cases.value.length + 1}`, input: {}, expect: {} }]));
  };
  const uploaded = upload.data;
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Stack>
          <JsonEditor label="Module configuration (optional)" description="Passed once per instance to the module's configure export." value={configText} onChange={editable ? setConfigText : undefined} readOnly={!editable} height="160px" error={configError} />
          <Switch label="Fresh instance per call" description="No state survives between callers (costly for Go guests)." checked={fresh} onChange={(e) => setFresh(e.currentTarget.checked)} disabled={!editable} />
          <JsonEditor
            label="Test cases"
            description="Each: name; input (JSON) or inputText; optionally config; and one of expect (JSON), expectText or expectError. They run in the sandbox on every save and module upload; saved with the transform."
            value={casesText}
            onChange={editable ? setCasesText : undefined}
            readOnly={!editable}
            problems={caseProblems}
            height="240px"
            error={cases.ok ? undefined : `Not valid: ${cases.detail}`}
          />
          <Card
            title="Test case results"
            actions={
              editable && (
                <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={addCase} disabled={!cases.ok}>
                  Add a test case
                </Button>
              )
            }
          >
            <TestList
              tests={results}
              live={false}
              empty={initial?.module ? 'No test cases ran: add some and save.' : 'The test cases run once a module is uploaded.'}
              note={casesEdited ? 'Results of the saved cases: save to run the edited ones.' : 'Results at the last save or module upload.'}
            />
          </Card>
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Card title="Module">
          {initial?.module ? (
            <Stack gap={2} mb="sm">
              <Text size="sm">
                sha256 <Code>{initial.module.sha256.slice(0, 16)}…</Code>
              </Text>
              <Text size="sm" c="dimmed">
                {fmtBytes(initial.module.size)} · uploaded {fmtTime(initial.module.uploadedAt)}
              </Text>
            </Stack>
          ) : (
            <Text size="sm" c="dimmed" mb="sm">
              No module yet: endpoints using this transform cannot be published until one is uploaded.
            </Text>
          )}
          {!initial ? (
            <Text size="sm">Create the transform first, then upload its module.</Text>
          ) : (
            editable && (
              <Stack gap="xs">
                <FileInput
                  label="WebAssembly module"
                  description={`A .wasm file of at most ${fmtBytes(MAX_MODULE_BYTES)} (6 MB on AWS). It is validated, then the saved test cases run on it.`}
                  placeholder="transform.wasm"
                  accept=".wasm,application/wasm"
                  value={file}
                  onChange={(f) => {
                    upload.reset();
                    setFile(f);
                  }}
                  error={tooBig ? `${fmtBytes(file.size)}: larger than the ${fmtBytes(MAX_MODULE_BYTES)} a module may be` : undefined}
                  clearable
                />
                <Button leftSection={<IconUpload size={16} />} disabled={!file || tooBig} loading={upload.isPending} onClick={() => file && upload.mutate(file)}>
                  Upload and validate
                </Button>
                {progress && (
                  <Stack gap={4} role="status" aria-live="polite">
                    <Progress
                      value={progress.total ? (100 * progress.sent) / progress.total : 0}
                      striped
                      animated={progress.sent >= progress.total}
                      aria-label="Upload progress"
                    />
                    <Text size="xs" c="dimmed">
                      {progress.sent < progress.total
                        ? `Uploading ${fmtBytes(progress.sent)} of ${fmtBytes(progress.total)}…`
                        : `Uploaded ${fmtBytes(progress.total)}: validating${(initial.testCases?.length ?? 0) > 0 ? ` and running ${initial.testCases!.length} test case${initial.testCases!.length === 1 ? '' : 's'}` : ''}…`}
                    </Text>
                  </Stack>
                )}
                {uploaded && !upload.isPending && (
                  <Alert
                    role="status"
                    color={uploaded.tests && !uploaded.tests.passed ? 'orange' : 'green'}
                    variant="light"
                    icon={uploaded.tests && !uploaded.tests.passed ? <IconAlertTriangle size={18} /> : <IconCheck size={18} />}
                    title={uploaded.tests && !uploaded.tests.passed ? 'Module stored; test cases fail' : 'Module stored'}
                  >
                    <Text size="sm">
                      sha256 <Code>{uploaded.module?.sha256.slice(0, 16)}…</Code> · {fmtBytes(uploaded.module?.size ?? 0)}
                      {uploaded.tests?.results?.length
                        ? ` · ${uploaded.tests.results.filter((r) => r.pass).length} of ${uploaded.tests.results.length} test cases pass`
                        : ' · no test cases'}
                      {uploaded.tests && !uploaded.tests.passed ? '. Endpoints using it cannot be published until they pass.' : '.'}
                    </Text>
                  </Alert>
                )}
                {/* The module's problems have no field (pointer ""): the detail is the message. */}
                <ErrorAlert error={upload.error && uploadErrors.length === 0 ? upload.error : undefined} fieldErrors={uploadErrors.filter((e) => e.pointer !== '')} title="The module was refused" />
                {uploadErrors.some((e) => e.pointer === '') && (
                  <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="The module was refused" role="alert">
                    {uploadErrors
                      .filter((e) => e.pointer === '')
                      .map((e) => (
                        <Text key={e.detail} size="sm">
                          {e.detail}
                        </Text>
                      ))}
                  </Alert>
                )}
              </Stack>
            )
          )}
        </Card>
      </Grid.Col>
    </Grid>
  );
}
