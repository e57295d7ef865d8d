import { Anchor, Badge, Table, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { seg } from '../api/client';
import { useTransforms } from '../api/hooks';
import type { Transform } from '../api/types';
import { fmtTime } from '../components/common';
import { ResourceList } from '../components/ResourceList';
import { TransformModules } from './TransformModules';

/** TestsBadge says whether a stored transform can be published. */
export function TestsBadge({ t }: { t: Transform }) {
  if (t.type === 'wasm') {
    if (!t.module)
      return (
        <Badge color="orange" variant="light" radius="sm">
          no module
        </Badge>
      );
    // A module whose test cases fail is stored but not publishable (model.Transform.Publishable).
    const wasmFailed = (t.tests?.results ?? []).filter((r) => !r.pass).length;
    return t.tests && !t.tests.passed ? (
      <Badge color="red" variant="light" radius="sm">
        {wasmFailed} failing
      </Badge>
    ) : (
      <Badge color="green" variant="light" radius="sm">
        module uploaded
      </Badge>
    );
  }
  const results = t.tests?.results ?? [];
  if (!t.tests)
    return (
      <Badge color="gray" variant="light" radius="sm">
        not tested
      </Badge>
    );
  const failed = results.filter((r) => !r.pass).length;
  return t.tests.passed ? (
    <Badge color="green" variant="light" radius="sm">
      {results.length === 1 ? '1 test passes' : `${results.length} tests pass`}
    </Badge>
  ) : (
    <Badge color="red" variant="light" radius="sm">
      {failed} failing
    </Badge>
  );
}

export function Transforms() {
  const list = useTransforms();
  const nav = useNavigate();
  return (
    <>
      <ResourceList
        title="Transforms"
        description="Reshape requests and responses: declarative steps with test cases, or your own WebAssembly module. Endpoints apply them on the way in or out."
        create={{ label: 'New transform', role: 'editTransform', onClick: () => nav('/transforms/new') }}
        list={list}
        empty="No transforms yet."
        columns={[{ label: 'Name' }, { label: 'Type' }, { label: 'Publishable' }, { label: 'Updated' }]}
        rowKey={(t) => t.slug}
        row={(t) => (
          <>
            <Table.Td>
              <Anchor component={Link} to={`/transforms/${seg(t.slug)}`} fw={600} size="sm">
                {t.name}
              </Anchor>
              <Text size="xs" c="dimmed">
                {t.slug}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{t.type}</Text>
            </Table.Td>
            <Table.Td>
              <TestsBadge t={t} />
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed">
                {fmtTime(t.updatedAt ?? t.createdAt)}
              </Text>
            </Table.Td>
          </>
        )}
      />
      <div style={{ marginTop: 'var(--mantine-spacing-lg)' }}>
        <TransformModules />
      </div>
    </>
  );
}
