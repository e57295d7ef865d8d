import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { StateEffect } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { Input } from '@mantine/core';
import { useEffect, useMemo, useRef } from 'react';
import { pointerRange } from '../lib/jsonPointer';

/** problemsChanged asks the linter to run again: the server's answer arrived. */
const problemsChanged = StateEffect.define<null>();

export interface PointerProblem {
  pointer: string;
  detail: string;
  severity?: 'error' | 'warning';
}

export interface JsonEditorProps {
  label: string;
  description?: string;
  value: string;
  onChange?: (v: string) => void;
  readOnly?: boolean;
  /** Problems addressed by JSON pointers into this document, underlined in place. */
  problems?: PointerProblem[];
  height?: string;
  error?: string;
}

/**
 * JsonEditor is CodeMirror 6 with JSON highlighting, syntax linting, and the
 * server's problems (by JSON pointer) underlined where they are written.
 * Only the editor screens import it, so CodeMirror stays out of the first
 * bundle.
 */
export function JsonEditor({ label, description, value, onChange, readOnly, problems = [], height = '320px', error }: JsonEditorProps) {
  const view = useRef<EditorView | null>(null);
  // The linter reads the latest problems through a ref, so the server's
  // answer (which arrives after the edit) is merged with the syntax check.
  const latest = useRef(problems);
  latest.current = problems;
  const extensions = useMemo(() => {
    const syntax = jsonParseLinter();
    const source = (v: EditorView): Diagnostic[] => {
      const text = v.state.doc.toString();
      const ds = text.trim() ? syntax(v) : [];
      for (const p of latest.current) {
        const r = pointerRange(text, p.pointer);
        if (r) ds.push({ from: r.from, to: Math.max(r.to, r.from + 1), severity: p.severity ?? 'error', message: `${p.pointer || '/'}: ${p.detail}` });
      }
      return ds;
    };
    return [json(), linter(source, { delay: 200, needsRefresh: (u) => u.transactions.some((tr) => tr.effects.some((e) => e.is(problemsChanged))) }), lintGutter(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' })];
  }, [label]);
  const key = JSON.stringify(problems);
  useEffect(() => {
    view.current?.dispatch({ effects: problemsChanged.of(null) });
  }, [key]);
  return (
    <Input.Wrapper label={label} description={description} error={error}>
      <div className="json-editor" data-invalid={error ? 'true' : undefined}>
        <CodeMirror
          value={value}
          height={height}
          extensions={extensions}
          readOnly={readOnly}
          editable
          // Tab moves focus on (no keyboard trap); indent with the editor's own commands.
          basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false }}
          indentWithTab={false}
          onChange={onChange}
          onCreateEditor={(v) => (view.current = v)}
        />
      </div>
    </Input.Wrapper>
  );
}
