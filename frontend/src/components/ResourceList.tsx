import { Button, Skeleton, Table } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import type { Permission } from '../auth/roles';
import { Can } from '../auth/session';
import { Card, Confirm, Empty, ErrorAlert, PageHeader } from './common';

/** Column heads a table; a column without a label is the screen-reader-only "Actions" column. */
export interface Column {
  label?: ReactNode;
  w?: number;
}

/** The part of a list query that the list components read. */
export interface ListQuery<T> {
  isPending: boolean;
  error: unknown;
  data?: { items: T[] };
}

interface ItemTableProps<T> {
  list: ListQuery<T>;
  empty: ReactNode;
  label: string;
  columns: Column[];
  rowKey: (item: T) => string;
  row: (item: T) => ReactNode;
  highlightOnHover?: boolean;
}

/** ItemTable shows a list query: a skeleton while loading, the empty message, or a table of its items. */
export function ItemTable<T>({ list, empty, label, columns, rowKey, row, highlightOnHover }: ItemTableProps<T>) {
  const items = list.data?.items ?? [];
  if (list.isPending) return <Skeleton h={60} />;
  if (items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <Table verticalSpacing="sm" highlightOnHover={highlightOnHover} aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c, i) => (
            <Table.Th key={i} w={c.w}>
              {c.label ?? <span className="sr-only">Actions</span>}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((item) => (
          <Table.Tr key={rowKey(item)}>{row(item)}</Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

interface CreateAction {
  label: string;
  role: Permission;
  onClick: () => void;
}

/**
 * ResourceList is a list page: its header with a create button for the
 * roles allowed to create, the list's error, and a table of its items.
 */
export function ResourceList<T>({
  title,
  description,
  create,
  highlightOnHover = true,
  ...table
}: { title: string; description: ReactNode; create: CreateAction } & Omit<ItemTableProps<T>, 'label'> & { label?: string }) {
  return (
    <>
      <PageHeader
        title={title}
        description={description}
        actions={
          <Can do={create.role}>
            <Button leftSection={<IconPlus size={16} />} onClick={create.onClick}>
              {create.label}
            </Button>
          </Can>
        }
      />
      <ErrorAlert error={table.list.error} />
      <Card>
        <ItemTable {...table} label={table.label ?? title} highlightOnHover={highlightOnHover} />
      </Card>
    </>
  );
}

interface Revoke<T> {
  active: (item: T) => boolean;
  title: (item: T) => string;
  message: string;
  confirmLabel: string;
  onConfirm: (item: T) => Promise<void>;
}

/**
 * RevocableList is a card listing credentials, each active one with a
 * Revoke button (asking for confirmation) for the roles that may issue them.
 */
export function RevocableList<T>({
  title,
  create,
  intro,
  revoke,
  row,
  columns,
  children,
  ...table
}: {
  title: string;
  children?: ReactNode;
  create: CreateAction;
  intro?: ReactNode;
  revoke: Revoke<T>;
} & Omit<ItemTableProps<T>, 'label' | 'highlightOnHover'>) {
  return (
    <Card
      title={title}
      actions={
        <Can do={create.role}>
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={create.onClick}>
            {create.label}
          </Button>
        </Can>
      }
    >
      {intro}
      <ErrorAlert error={table.list.error} />
      <ItemTable
        {...table}
        label={title}
        columns={[...columns, { w: 100 }]}
        row={(item) => (
          <>
            {row(item)}
            <Table.Td>
              {revoke.active(item) && (
                <Can do={create.role}>
                  <Confirm
                    label="Revoke"
                    variant="subtle"
                    color="red"
                    title={revoke.title(item)}
                    message={revoke.message}
                    confirmLabel={revoke.confirmLabel}
                    onConfirm={() => revoke.onConfirm(item)}
                  />
                </Can>
              )}
            </Table.Td>
          </>
        )}
      />
      {children}
    </Card>
  );
}
