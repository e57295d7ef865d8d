// Runs conformance cases on aws-local-stepfunctions (the reference ASL
// interpreter) and prints one JSON result per case. Input on stdin:
// [{name, definition, input, tasks: {stateName: [{result} | {error, cause} | {hang}]}}].
// Task states run scripted outcomes (the last one repeats); Wait states and
// retry intervals take 0 ms. Run with --require ./with-resolvers.cjs on Node 20.
'use strict';
const { StateMachine } = require(process.env.ALSF_MODULE);

if (typeof Promise.withResolvers !== 'function') {
  throw new Error('Promise.withResolvers is missing: run node with --require with-resolvers.cjs');
}

function walk(def, fn) {
  for (const [name, st] of Object.entries(def.States)) {
    fn(name, st);
    for (const b of st.Branches || []) walk(b, fn);
  }
}

async function runCase(c) {
  const calls = {};
  const handlers = {};
  const waits = {};
  const retries = {};
  const used = {};
  walk(c.definition, (name, st) => {
    if (st.Type === 'Task') {
      handlers[name] = async (input) => {
        (calls[name] = calls[name] || []).push(input);
        const script = (c.tasks || {})[name] || [{ result: {} }];
        const i = Math.min(used[name] || 0, script.length - 1);
        used[name] = (used[name] || 0) + 1;
        const o = script[i];
        if (o.hang) return new Promise(() => {});
        if (o.error) {
          const e = new Error(o.cause || '');
          e.name = o.error;
          throw e;
        }
        return o.result === undefined ? null : o.result;
      };
    }
    if (st.Type === 'Wait') waits[name] = 0;
    if (st.Retry) retries[name] = 0;
  });
  const sm = new StateMachine(c.definition, { validationOptions: { checkArn: false } });
  const exec = sm.run(c.input, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
  });
  try {
    const output = await exec.result;
    return { name: c.name, output, calls };
  } catch (err) {
    const cause = err.cause || err;
    return { name: c.name, error: cause.name, cause: cause.message, calls };
  }
}

(async () => {
  let raw = '';
  for await (const chunk of process.stdin) raw += chunk;
  const out = [];
  for (const c of JSON.parse(raw)) out.push(await runCase(c));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(2); });
