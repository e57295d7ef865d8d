import { Badge, Button, Code, Divider, Group, Modal, MultiSelect, NumberInput, SimpleGrid, Stack, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, api, seg } from '../api/client';
import { keys, useJwtIssuers } from '../api/hooks';
import { JWT_ALGORITHMS, type JwtIssuer } from '../api/types';
import { Can } from '../auth/session';
import { Confirm, ErrorAlert } from '../components/common';
import { ResourceList } from '../components/ResourceList';
import { FieldErrors } from '../lib/problem';

export function JwtIssuers() {
  const list = useJwtIssuers();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<JwtIssuer | 'new' | null>(null);
  return (
    <>
      <ResourceList
        title="JWT issuers"
        description="Identity providers whose tokens your JWT-protected endpoints accept."
        create={{ label: 'New issuer', role: 'manageJwtIssuers', onClick: () => setEditing('new') }}
        list={list}
        empty="No trusted issuers yet."
        highlightOnHover={false}
        columns={[{ label: 'Name' }, { label: 'Issuer (iss)' }, { label: 'Audiences' }, { label: 'Algorithms' }, { w: 160 }]}
        rowKey={(j) => j.slug}
        row={(j) => (
          <>
            <Table.Td>
              <Text size="sm" fw={600}>
                {j.name || j.slug}
              </Text>
              <Text size="xs" c="dimmed">
                {j.slug}
              </Text>
            </Table.Td>
            <Table.Td>
              <Code>{j.issuer}</Code>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{j.audiences.join(', ')}</Text>
            </Table.Td>
            <Table.Td>
              <Group gap={4}>
                {(j.algorithms?.length ? j.algorithms : ['RS256', 'ES256']).map((a) => (
                  <Badge key={a} variant="outline" color="gray" radius="sm" tt="none">
                    {a}
                  </Badge>
                ))}
              </Group>
            </Table.Td>
            <Table.Td>
              <Can do="manageJwtIssuers">
                <Group gap={4} wrap="nowrap">
                  <Button size="xs" variant="subtle" onClick={() => setEditing(j)}>
                    Edit
                  </Button>
                  <Confirm
                    label="Delete"
                    variant="subtle"
                    color="red"
                    title={`Stop trusting ${j.name || j.slug}?`}
                    message="Tokens from this issuer are refused from the next configuration refresh."
                    confirmLabel="Delete issuer"
                    onConfirm={async () => {
                      await api.del(`/jwt-issuers/${seg(j.slug)}`);
                      await qc.invalidateQueries({ queryKey: keys.jwtIssuers });
                    }}
                  />
                </Group>
              </Can>
            </Table.Td>
          </>
        )}
      />
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New JWT issuer' : 'Edit JWT issuer'} size="lg">
        {editing !== null && <IssuerForm initial={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </>
  );
}

const fields = ['/slug', '/name', '/issuer', '/jwksUrl', '/audiences', '/algorithms', '/leewaySeconds', '/scopeClaim', '/rolesClaim', '/consumerClaim'];

/** toDoc drops empty optional fields so the server fills its defaults. */
function toDoc(j: JwtIssuer): JwtIssuer {
  const out: JwtIssuer = { ...j };
  for (const k of ['name', 'scopeClaim', 'rolesClaim', 'consumerClaim'] as const) if (!out[k]) delete out[k];
  if (!out.algorithms?.length) delete out.algorithms;
  if (out.leewaySeconds === undefined) delete out.leewaySeconds;
  return out;
}

/**
 * IssuerForm edits a trusted issuer. There is no dry-run route for issuers:
 * a refused save's problem+json pointers are shown at their fields, and a
 * field's message goes away as soon as that field is edited.
 */
export function IssuerForm({ initial, onDone }: { initial?: JwtIssuer; onDone: () => void }) {
  const qc = useQueryClient();
  const [doc, setDoc] = useState<JwtIssuer>(() => initial ?? { slug: '', name: '', issuer: '', jwksUrl: '', audiences: [], algorithms: ['RS256', 'ES256'] });
  const [edited, setEdited] = useState<Set<string>>(new Set());
  const save = useMutation({
    mutationFn: (d: JwtIssuer) => (initial ? api.put<JwtIssuer>(`/jwt-issuers/${seg(initial.slug)}`, d) : api.post<JwtIssuer>('/jwt-issuers', d)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.jwtIssuers });
      onDone();
    },
  });
  const all = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = new FieldErrors(all.filter((e) => ![...edited].some((f) => e.pointer === f || e.pointer.startsWith(f + '/'))));
  const set = <K extends keyof JwtIssuer>(k: K, v: JwtIssuer[K]) => {
    setEdited((s) => new Set(s).add('/' + k));
    setDoc((d) => ({ ...d, [k]: v }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setEdited(new Set());
    save.mutate(toDoc(doc));
  };
  return (
    <form onSubmit={submit} noValidate aria-label={initial ? 'Edit JWT issuer' : 'New JWT issuer'}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Name" value={doc.name ?? ''} onChange={(e) => set('name', e.currentTarget.value)} error={fe.at('/name')} data-autofocus />
          <TextInput label="Slug" value={doc.slug} onChange={(e) => set('slug', e.currentTarget.value)} error={fe.at('/slug')} required disabled={!!initial} />
        </SimpleGrid>
        <TextInput label="Issuer" description='Must equal the token’s "iss" exactly.' placeholder="https://login.example.com/" value={doc.issuer} onChange={(e) => set('issuer', e.currentTarget.value)} error={fe.at('/issuer')} required />
        <TextInput label="JWKS URL" description="The https URL of the provider's public keys." placeholder="https://login.example.com/.well-known/jwks.json" value={doc.jwksUrl} onChange={(e) => set('jwksUrl', e.currentTarget.value)} error={fe.at('/jwksUrl')} required classNames={{ input: 'mono' }} />
        <TagsInput label="Audiences" description='The token’s "aud" must contain one of them. Press Enter after each.' value={doc.audiences} onChange={(v) => set('audiences', v)} error={fe.under('/audiences')} required />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <MultiSelect label="Allowed algorithms" description="Asymmetric only; empty allows RS256 and ES256." data={JWT_ALGORITHMS} value={doc.algorithms ?? []} onChange={(v) => set('algorithms', v)} error={fe.under('/algorithms')} />
          <NumberInput label="Clock leeway (s)" description="On exp, nbf and iat; default 30, at most 300." value={doc.leewaySeconds ?? ''} onChange={(v) => set('leewaySeconds', v === '' ? undefined : Number(v))} error={fe.at('/leewaySeconds')} allowDecimal={false} />
        </SimpleGrid>
        <Divider label="Claim mapping" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Scopes claim" placeholder="scope" description="Space-separated or an array." value={doc.scopeClaim ?? ''} onChange={(e) => set('scopeClaim', e.currentTarget.value)} error={fe.at('/scopeClaim')} />
          <TextInput label="Roles claim" placeholder="roles" description="An array of role names." value={doc.rolesClaim ?? ''} onChange={(e) => set('rolesClaim', e.currentTarget.value)} error={fe.at('/rolesClaim')} />
          <TextInput label="Consumer claim" placeholder="(the subject)" description="Holds the consumer slug." value={doc.consumerClaim ?? ''} onChange={(e) => set('consumerClaim', e.currentTarget.value)} error={fe.at('/consumerClaim')} />
        </SimpleGrid>
        <ErrorAlert error={save.error && all.length === 0 ? save.error : undefined} fieldErrors={fe.unclaimed(fields)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {initial ? 'Save issuer' : 'Create issuer'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
