import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip, ActionIcon } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import type { ReactNode } from 'react';

export interface Secret {
  /** What the secret is, e.g. "API key". */
  what: string;
  /** The secret itself. */
  value: string;
  /** Extra facts to show beside it (client id, prefix). */
  details?: ReactNode;
}

/**
 * SecretOnce shows a freshly issued secret exactly once. The server never
 * returns it again; closing the dialog drops it from memory (the caller
 * clears its state in onClose).
 */
export function SecretOnce({ secret, onClose }: { secret: Secret | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title={secret ? `${secret.what} issued` : ''} centered size="lg" closeOnClickOutside={false}>
      {secret && (
        <Stack>
          <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} title="Copy it now: you won't see it again">
            <Text size="sm">Portico stores only a hash of it. If it is lost, revoke it and issue a new one.</Text>
          </Alert>
          {secret.details}
          <Group gap="xs" wrap="nowrap" align="center">
            <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} aria-label={`New ${secret.what}`} data-testid="secret-value">
              {secret.value}
            </Code>
            <CopyButton value={secret.value} timeout={2000}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
                  <ActionIcon variant="light" color={copied ? 'teal' : 'blue'} size="lg" onClick={copy} aria-label={copied ? 'Copied' : `Copy ${secret.what}`}>
                    {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                  </ActionIcon>
                </Tooltip>
              )}
            </CopyButton>
          </Group>
          <Group justify="flex-end">
            <Button onClick={onClose}>I have copied it</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
